"""The OpenAI-compatible HTTP server over the same one-owner text source (``penwright-cli serve``,
and "Serve to other programs" in the app).

- jobs: what one HTTP request asks the model owner to do, and the bounded priority queue it
  waits in (the editor's requests first, 429 when full);
- runner: runs one job on the owner's thread and reports back through the job's sink;
- logprobs: the probabilities of the tokens a job generated, for ``logprobs`` requests;
- owner: a thread that owns the text source and runs the queue (the command line's server; in
  the app the inference worker drains the same queue between the writer's own requests);
- openai_schema, security, api: the HTTP side (FastAPI), which never touches the model;
- server: uvicorn in a thread of its own, started and stopped by the command line and the app.
"""
