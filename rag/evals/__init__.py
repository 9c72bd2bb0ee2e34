"""Evals: question sets, metrics, runs, answer scoring, configurations, reports and the LangChain
baseline. Nothing at run time imports this package; it imports the run-time stages and answers
through :class:`rag.answering.Assistant`, the path users take."""
