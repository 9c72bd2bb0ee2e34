"""Adapters to other frameworks. They import nothing from ``rag`` (they take our objects as
arguments), so any stage may offer them: ``Assistant.as_retriever()`` returns
:class:`rag.integrations.langchain.BulletinRetriever`."""
