VALUE = "from-layer"
