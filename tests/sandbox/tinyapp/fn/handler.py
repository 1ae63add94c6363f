import os

import layerlib


class MyError(Exception):
    pass

def lambda_handler(event, context):
    if event.get("fail"):
        raise MyError("asked to fail")
    return {"layer": layerlib.VALUE, "host": event.get("host"), "cluster": os.environ.get("CLUSTER_NAME")}
