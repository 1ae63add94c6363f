"""The load balancers' data planes: nginx as the ALB's listener, milvus-lite as the Milvus pod, TCP proxies as NLBs."""
