"""Benchmark: BPE tokenizer training time against the length of one record without whitespace.

`segatp.lm.train_tokenizer` cuts every pre-token into pieces of at most `MAX_PRETOKEN` bytes, so a long run of
letters no longer makes the BPE trainer's time grow faster than linearly. Each size trains a tokenizer on a small set
of ordinary prompts plus one whitespace-free record of that size, with the bounded pre-tokenizer and (up to
--plain-max bytes, because it grows quadratically) with the plain byte-level one it replaced.

    python bench/tokenizer.py [--sizes 50000,200000,2000000] [--plain-max 200000] [--vocab 512]
"""
import argparse
import random
import time

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from segatp.lm import MAX_PRETOKEN, SPECIAL_TOKENS, pre_tokenizer

TEXTS = ["x : ℝ\nh : 0 < x\n⊢ 0 < x ^ 2:::positivity", "⊢ 1 + 1 = 2:::norm_num",
         "p q : Prop\n⊢ p ∧ q → q ∧ p:::intro h\nexact ⟨h.2, h.1⟩"] * 50


def train_seconds(pre: pre_tokenizers.PreTokenizer, blob: str, vocab: int) -> float:
    """Seconds to train a byte-level BPE tokenizer with pre-tokenizer `pre` on TEXTS and `blob`."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer, tok.decoder = pre, decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, special_tokens=list(SPECIAL_TOKENS), show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    t = time.perf_counter()
    tok.train_from_iterator(TEXTS + [blob], trainer)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="50000,200000,2000000", help="record lengths in characters, comma-separated")
    ap.add_argument("--plain-max", type=int, default=200_000, help="longest record timed with the plain pre-tokenizer")
    ap.add_argument("--vocab", type=int, default=512, help="vocabulary size")
    args = ap.parse_args()
    rng = random.Random(0)
    print(f"MAX_PRETOKEN = {MAX_PRETOKEN}; vocabulary {args.vocab}")
    print(f"{'record chars':>12}  {'bounded s':>9}  {'plain s':>9}")
    for n in map(int, args.sizes.split(",")):
        blob = "".join(rng.choice("abcdefghij") for _ in range(n))
        bounded = train_seconds(pre_tokenizer(), blob, args.vocab)
        plain = train_seconds(pre_tokenizers.ByteLevel(add_prefix_space=False), blob, args.vocab) if n <= args.plain_max else None
        print(f"{n:>12}  {bounded:>9.2f}  {'-' if plain is None else f'{plain:.2f}':>9}")


if __name__ == "__main__":
    main()
