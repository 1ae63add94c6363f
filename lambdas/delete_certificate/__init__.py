"""DeleteCertificate: the certificates setup imported for the host leave ACM once nothing uses them."""
