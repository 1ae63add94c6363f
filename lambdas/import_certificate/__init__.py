"""ImportCertificate: puts the TLS certificate into ACM once, and reuses it on every later run."""
