"""RemoveLayer4: the Milvus Service becomes ClusterIP once the Layer-7 path is verified."""
