"""The cross-encoder as a torch module: training builds it, the ONNX export traces it, and the
torch scoring path runs it (:mod:`rag.embed.cross_encoder`).

The bundled multilingual-e5-small (the converted folder, :func:`rag.embed.default_model_dir`) cut
to its first ``layers`` transformer layers; the mean of the last one's token vectors (over the
attention mask, as the model pools for embeddings) into a linear head. Not the ``<s>`` vector:
after a few layers of this model it is the same for every input (cosine 0.999998 between pairs
after 2 layers, where mean-pooled vectors differ: 0.89), and a head on it does not learn. The
embeddings are frozen (they are not shipped: :mod:`rag.embed.cross_weights`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .cross_weights import HEAD_PARAMS, LAYER_PARAMS, CrossEncoderSpec


def _torch():
    import torch

    return torch


def build_net(base_dir: Path, layers: int, seed: int = 0):
    """The first ``layers`` layers of the base model and a fresh head (seeded), embeddings frozen."""
    torch = _torch()
    import logging

    from transformers import XLMRobertaConfig, XLMRobertaModel
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    config = XLMRobertaConfig.from_pretrained(base_dir, local_files_only=True)
    if not 1 <= layers <= config.num_hidden_layers:
        raise ValueError(f"layers must be 1 to {config.num_hidden_layers}, not {layers}")
    config.num_hidden_layers = layers

    class CrossEncoderNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = XLMRobertaModel.from_pretrained(base_dir, config=config, add_pooling_layer=False,
                                                           local_files_only=True)
            generator = torch.Generator().manual_seed(seed)
            self.head = torch.nn.Linear(config.hidden_size, 1)
            with torch.no_grad():
                self.head.weight.normal_(0.0, 0.02, generator=generator)
                self.head.bias.zero_()
            for p in self.encoder.embeddings.parameters():
                p.requires_grad_(False)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            return self.head(mean_pool(hidden, attention_mask)).squeeze(-1)

    return CrossEncoderNet()


def mean_pool(hidden, attention_mask):
    """The mean of each sequence's token vectors over its attention mask."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)


def changed_tensors(net) -> dict[str, np.ndarray]:
    """What training changes (the layers and the head), named as in the weights file, float32."""
    out = {}
    for i, layer in enumerate(net.encoder.encoder.layer):
        sd = layer.state_dict()
        for p in LAYER_PARAMS:
            out[f"layer.{i}.{p}"] = sd[p].detach().float().cpu().numpy().copy()
    out["head.weight"] = net.head.weight.detach().float().cpu().numpy().copy()
    out["head.bias"] = net.head.bias.detach().float().cpu().numpy().copy()
    return out


def load_changed(net, tensors: dict[str, np.ndarray]) -> None:
    """Put a weights file's tensors into ``net`` (built with as many layers)."""
    torch = _torch()
    with torch.no_grad():
        for i, layer in enumerate(net.encoder.encoder.layer):
            layer.load_state_dict({p: torch.from_numpy(np.asarray(tensors[f"layer.{i}.{p}"], np.float32))
                                   for p in LAYER_PARAMS})
        for p in HEAD_PARAMS:
            getattr(net.head, p.split(".")[1]).copy_(torch.from_numpy(np.asarray(tensors[p], np.float32)))


def net_from_weights(base_dir: Path, spec: CrossEncoderSpec, tensors: dict[str, np.ndarray]):
    """The scoring network of a weights file, in eval mode."""
    net = build_net(base_dir, spec.layers)
    load_changed(net, tensors)
    return net.eval()


def export_onnx(net, out: Path) -> None:
    """Trace ``net`` into ONNX (opset 17; dynamic batch and sequence axes) without its word table:
    ``inputs_embeds`` (float32, the rows of the base model's word table for the ids) and
    ``attention_mask`` (int64) in, ``score`` (float32, one per pair) out. The table (250k x 384,
    fp32) stays in the converted model's safetensors file, memory-mapped at run time
    (:func:`rag.embed.cross_encoder.word_table`), so an export is the layers and the head only.
    For right-padded batches the positions XLM-R derives from ``inputs_embeds`` are those it
    derives from the ids for every real token, so the scores are the same."""
    torch = _torch()

    class FromEmbeds(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, inputs_embeds, attention_mask):
            hidden = self.inner.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            return self.inner.head(mean_pool(hidden, attention_mask)).squeeze(-1)

    ids = torch.tensor([[0, 6, 5, 2, 2, 7, 2], [0, 6, 2, 2, 7, 2, 1]], dtype=torch.long)
    mask = (ids != 1).long()
    with torch.no_grad():
        embeds = net.encoder.embeddings.word_embeddings(ids)
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(FromEmbeds(net.eval()), (), str(out), kwargs={"inputs_embeds": embeds, "attention_mask": mask},
                          input_names=["inputs_embeds", "attention_mask"], output_names=["score"],
                          dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "score": {0: "batch"}},
                          opset_version=17, dynamo=False)
