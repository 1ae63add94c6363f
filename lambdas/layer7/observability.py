"""One logger, tracer and metrics object for every step.

The service name and metrics namespace come from the function's environment
(POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, set by the stack), so
an operator finds every step's lines under one service.
"""

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="milvus-layer7")
tracer = Tracer(service="milvus-layer7")
metrics = Metrics(namespace="MilvusLayer7", service="milvus-layer7")
