"""DeleteIngress: the workflow's Ingress goes, once Milvus answers through the Layer-4 load balancer."""
