"""Protobuf-free stand-ins for the parts of ``mlflow.protos`` that user code imports."""
