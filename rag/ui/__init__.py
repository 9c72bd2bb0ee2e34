"""UI: the Gradio chat (``app``: import it only to serve, it loads Gradio), its HTML (``render``)
and its safety checks (``safety``). ``rag serve`` and ``python app.py`` call :func:`rag.ui.app.serve`."""
