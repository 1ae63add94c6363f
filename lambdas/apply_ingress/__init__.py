"""ApplyIngress: the Layer-7 path (an Ingress of class alb) in front of the Milvus Service."""
