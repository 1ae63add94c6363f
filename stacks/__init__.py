"""The CDK side of milvus-layer7: one stack composed of one construct per capability."""
