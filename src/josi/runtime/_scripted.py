"""A model stand-in that writes what it is told: the turn's code without a GGUF.

``JosiRuntime.turn`` is the one implementation of the v6 turn (parse, post-process,
route, coach, governor, guard, fallbacks, confirm question). The no-model test layers
and any app port's conformance checks run that same turn with a scripted engine, so a
route expectation is checked against the code the CLI and the app follow, not against
a copy of it.

The scripted interpreter writes the given request text; the scripted coach writes a
fixed reply. Nothing is sampled, so a scripted turn is reproducible by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

from josi.runtime._engine import Generation

# A plain, rule-abiding coach reply in both languages: no numbers, no question, no
# engine vocabulary, so a code guarantee that fails on a scripted turn is the code's.
SCRIPTED_COACH_REPLY = "Sounds good, enjoy your session."


@dataclass
class ScriptedEngine:
    """Answers interpreter calls with ``interpreter_output`` and coach calls with ``coach_reply``.

    Tokens are UTF-8 bytes: an upper bound on any BPE tokenizer's count, so history
    trimming never keeps more than a real model would see.
    """

    interpreter_output: str
    coach_reply: str = SCRIPTED_COACH_REPLY
    n_ctx: int = 4096
    chat_template: str | None = None
    bos_text: str = ""
    eos_text: str = ""

    def __post_init__(self) -> None:
        self.calls: list[str] = []

    def check_grammar(self, text: str) -> None:
        # A scripted output is not decoded under the grammar; schema validation still runs
        # on the parsed request, as for any model output.
        return None

    def tokenize(self, prompt: str) -> list[int]:
        return list(prompt.encode("utf-8"))

    def count_tokens(self, text: str) -> int:
        return len(text.encode("utf-8"))

    def generate(self, ids: list[int], *, mode: str, **_sampling: object) -> Generation:
        self.calls.append(mode)
        text = self.interpreter_output if mode == "interpreter" else self.coach_reply
        return Generation(
            text=text,
            prompt_tokens=len(ids),
            completion_tokens=len(text.encode()),
            cached_tokens=0,
            latency_s=0.0,
            stopped="eog",
        )

    def clear_cache(self) -> None:
        return None

    def close(self) -> None:
        return None
