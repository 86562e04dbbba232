"""The central application record: the service that receives, stores and serves enrollment records."""
