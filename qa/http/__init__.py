"""What stands between the network and the Pipeline: strict request bodies, short error bodies,
the bounded question queue, the API key, and the uvicorn settings of `qa serve`."""
