"""The local sandbox: AWS, EKS, the load balancer controller and the ALB played on one machine."""
