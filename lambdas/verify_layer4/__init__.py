"""VerifyLayer4: Milvus answers gRPC through the restored Layer-4 load balancer, before DNS or the ALB moves."""
