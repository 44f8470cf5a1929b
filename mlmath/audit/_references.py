"""Reference table for the historical and bibliographic claims.

Each entry records what a publication is (title, authors, venue, year, what it
introduced), so a claim is checked field by field against it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["REFERENCES", "cite"]

REFERENCES: dict[str, dict[str, Any]] = {
    "vaswani2017": {
        "title": "Attention Is All You Need",
        "authors": "Vaswani, Shazeer, Parmar, Uszkoreit, Jones, Gomez, Kaiser, Polosukhin",
        "venue": "NeurIPS 2017 (arXiv:1706.03762)",
        "year": 2017,
        "introduced": "the Transformer",
        "task": "machine translation (encoder-decoder sequence transduction)",
    },
    "google_blog2017": {
        "title": "Transformer: A Novel Neural Network Architecture for Language Understanding",
        "authors": "Uszkoreit",
        "venue": "Google Research blog post, August 2017 (not a paper)",
        "year": 2017,
    },
    "cheng2016": {
        "title": "Long Short-Term Memory-Networks for Machine Reading",
        "authors": "Cheng, Dong, Lapata",
        "venue": "EMNLP 2016 (arXiv:1601.06733)",
        "year": 2016,
        "introduced": "intra-attention (self-attention) over a sequence",
    },
    "parikh2016": {
        "title": "A Decomposable Attention Model for Natural Language Inference",
        "authors": "Parikh, Tackstrom, Das, Uszkoreit",
        "venue": "EMNLP 2016 (arXiv:1606.01933)",
        "year": 2016,
        "introduced": "intra-sentence attention",
    },
    "lin2017": {
        "title": "A Structured Self-attentive Sentence Embedding",
        "authors": "Lin, Feng, dos Santos, Yu, Xiang, Zhou, Bengio",
        "venue": "ICLR 2017 (arXiv:1703.03130)",
        "year": 2017,
    },
    "bahdanau2015": {
        "title": "Neural Machine Translation by Jointly Learning to Align and Translate",
        "authors": "Bahdanau, Cho, Bengio",
        "venue": "ICLR 2015 (arXiv:1409.0473, 2014)",
        "year": 2014,
        "introduced": "(additive) attention in neural networks",
    },
    "radford2018": {
        "title": "Improving Language Understanding by Generative Pre-Training",
        "venue": "OpenAI report 2018 (GPT: a Transformer decoder used as a language model)",
        "year": 2018,
    },
    "dosovitskiy2021": {
        "title": "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale",
        "venue": "ICLR 2021 (arXiv:2010.11929)",
        "year": 2020,
        "task": "image classification",
    },
    "carion2020": {
        "title": "End-to-End Object Detection with Transformers (DETR)",
        "venue": "ECCV 2020", "year": 2020, "task": "object detection",
    },
    "zhang2019": {
        "title": "Self-Attention Generative Adversarial Networks",
        "venue": "ICML 2019 (arXiv:1805.08318)", "year": 2018, "task": "image generation",
    },
    "devlin2019": {
        "title": "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        "venue": "NAACL 2019", "year": 2019,
        "task": "self-supervised (masked-token) pre-training; fine-tuned on NER (CoNLL-2003)",
    },
    "peters2018": {
        "title": "Deep contextualized word representations (ELMo)",
        "venue": "NAACL 2018", "year": 2018,
        "task": "language-model pre-training; downstream SRL and NER",
    },
    "mikolov2013": {
        "title": "Efficient Estimation of Word Representations in Vector Space (word2vec)",
        "venue": "arXiv:1301.3781", "year": 2013,
        "task": "word embeddings from context prediction (self-supervised)",
    },
    "hinton2006": {
        "title": "Reducing the Dimensionality of Data with Neural Networks",
        "venue": "Science 313 (2006)", "year": 2006, "task": "deep autoencoders on images",
    },
    "chen2020": {
        "title": "A Simple Framework for Contrastive Learning of Visual Representations (SimCLR)",
        "venue": "ICML 2020", "year": 2020,
        "task": "self-supervised image pre-training; downstream ImageNet classification",
    },
    "baevski2020": {
        "title": "wav2vec 2.0: A Framework for Self-Supervised Learning of Speech Representations",
        "venue": "NeurIPS 2020", "year": 2020,
        "task": "self-supervised audio pre-training; downstream speech recognition",
    },
    "girshick2014": {
        "title": "Rich feature hierarchies for accurate object detection and semantic "
                 "segmentation (R-CNN)",
        "venue": "CVPR 2014", "year": 2014,
        "task": "supervised ImageNet pre-training, then fine-tuning (pre-training WITH labels)",
    },
    "goodfellow2016": {
        "title": "Deep Learning, chapter 7 (Regularization for Deep Learning)",
        "venue": "MIT Press 2016", "year": 2016,
        "task": "regularisation = any modification meant to reduce generalisation error but "
                "not training error: penalties, but also dropout, early stopping, data "
                "augmentation, parameter sharing",
    },
    "hoerl1970": {
        "title": "Ridge Regression: Biased Estimation for Nonorthogonal Problems",
        "venue": "Technometrics 12(1), 1970", "year": 1970,
        "task": "some lambda > 0 has lower expected squared estimation error than least squares",
    },
    "hastie2009": {
        "title": "The Elements of Statistical Learning, chapter 2 (Overview of Supervised "
                 "Learning)",
        "venue": "Springer, 2nd ed. 2009", "year": 2009,
        "task": "learning from labelled (input, output) pairs; regression and classification",
    },
    "tibshirani1996": {
        "title": "Regression Shrinkage and Selection via the Lasso",
        "venue": "J. R. Statist. Soc. B 58(1), 1996", "year": 1996, "task": "L1 penalty (lasso)",
    },
}


def cite(key: str) -> str:
    """One-line citation of a reference-table entry."""
    ref = REFERENCES[key]
    who = ref.get("authors", "").split(",")[0]
    lead = f"{who} et al., " if "," in ref.get("authors", "") else (f"{who}, " if who else "")
    return f"{lead}\"{ref['title']}\", {ref['venue']}"
