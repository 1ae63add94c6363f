"""The load balancers' data planes: nginx as the ALB's listener with its health checks and certificate
re-imports, milvus-lite as the Milvus pod, TCP proxies as the NLBs."""
