"""VerifyGrpc: Milvus answers gRPC over TLS through the new ALB, as the host clients will use."""
