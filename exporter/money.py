"""Money: every price and balance is parsed here, with Decimal, and scaled to whole units.

Vendors disagree on units (USD per token, per million tokens, cents, 1/10000 USD, nano-USD)
and on types (numbers, decimal strings). Adapters name the scale; this module does the rest,
so a unit mistake can only be made in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from exporter.units import MAX_MAGNITUDE, OutOfRange

PER_TOKEN = Decimal(1)
PER_MILLION_TOKENS = Decimal("1e-6")
CENTS = Decimal("0.01")
TEN_THOUSANDTHS = Decimal("1e-4")
NANO = Decimal("1e-9")

ZERO = Decimal(0)
_LIMIT = Decimal(int(MAX_MAGNITUDE))


def to_decimal(value: object) -> Decimal | None:
    """A Decimal from a number or a numeric string; None for what is not a number. Raises
    OutOfRange for NaN, infinities and magnitudes over units.MAX_MAGNITUDE: "9e999999" is a
    valid Decimal, and the first multiplication with it overflows.

    Floats go through str() so 0.1 stays 0.1 rather than its binary neighbour.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, str):
            result = Decimal(value.strip())
        elif isinstance(value, int):
            result = Decimal(value)
        elif isinstance(value, float):
            result = Decimal(str(value))
        elif isinstance(value, Decimal):
            result = value
        else:
            return None
    except (InvalidOperation, ValueError):
        return None
    if not result.is_finite() or abs(result) > _LIMIT:
        raise OutOfRange(f"{str(value)[:40]} is out of range")
    return result


def amount(value: object, scale: Decimal = PER_TOKEN) -> Decimal | None:
    """A balance or spend in whole currency units. May be negative (debt)."""
    result = to_decimal(value)
    return None if result is None else result * scale


def spend(value: object, scale: Decimal = PER_TOKEN) -> Decimal | None:
    """Money spent, in whole currency units: never below zero (unlike a balance, which may be
    debt), so a negative one is OutOfRange, not a fact."""
    result = amount(value, scale)
    if result is not None and result < 0:
        raise OutOfRange(f"a negative spend: {str(value)[:40]}")
    return result


def price(value: object, scale: Decimal = PER_TOKEN) -> Decimal | None:
    """A price in USD per token. Negative values are sentinels (OpenRouter's "-1"
    means the price is dynamic), never real prices, so they come back as None."""
    result = amount(value, scale)
    if result is None or result < 0:
        return None
    return result


def currency_code(value: object, default: str = "USD") -> str:
    """ISO 4217 labels are upper case whatever the vendor sends."""
    if isinstance(value, str) and value.strip():
        return value.strip().upper()
    return default


def currency_for_host(host: str) -> str:
    """Vendors that send no currency (Moonshot, SiliconFlow) bill in CNY on their
    mainland-China hosts and in USD on the international ones."""
    return "CNY" if host.lower().rstrip(".").endswith(".cn") else "USD"


def weighted_price(input_price: Decimal | None, output_price: Decimal | None, ratio: Decimal) -> Decimal | None:
    """One USD-per-token figure to rank models by: the mean of the input and output prices
    weighted by how many input tokens a typical call sends per output token,
    (ratio x input + output) / (ratio + 1). None unless both prices are known."""
    if input_price is None or output_price is None:
        return None
    return (ratio * input_price + output_price) / (ratio + 1)


PER_MILLION = Decimal(1_000_000)


def per_million_tokens(price: Decimal | None) -> Decimal | None:
    """USD per token as USD per 1M tokens, the unit vendors quote prices in."""
    return None if price is None else price * PER_MILLION


def token_cost(model_prices: Mapping[str, Decimal], input_tokens: int, output_tokens: int,
               cache_read_tokens: int = 0) -> Decimal:
    """What a call costs at USD-per-token prices. Cache-read tokens are counted apart from
    input tokens (as Anthropic reports them) and cost the cache_read price where the catalog
    knows one, else the input price: an estimate that errs on the side of the budget."""
    inp = model_prices.get("input", ZERO)
    return (inp * input_tokens + model_prices.get("output", ZERO) * output_tokens
            + model_prices.get("cache_read", inp) * cache_read_tokens)
