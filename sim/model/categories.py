"""Product categories of one merchant kind's merchants: which category each merchant sells,
and the price, return rate and gift suitability that follow from it.

A kind without ``categories`` weights keeps its own price distribution and return rate,
with category -1 and suitability 1, and draws exactly what it drew before categories
existed (its prices, from the same generator, in the same order).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..scenario.categories_config import CategoriesConfig
from ..scenario.schema import MerchantTypeConfig

__all__ = ["KindProducts", "draw_kind_products"]


@dataclass(frozen=True)
class KindProducts:
    """Products of ``n`` merchants of one kind, arrays of shape (n,).

    Attributes
    ----------
    category : ndarray of int8
        Category code (position in ``CategoriesConfig.names``), -1 for none.
    price : ndarray of float64
        Product price, RMB (not yet clipped to the price cap).
    return_rate : ndarray of float64
        Chance of return at quality 0 (the merchant's return chance is this times
        ``1 - quality``).
    gift_suitability : ndarray of float64
        Multiplier of the chance to gift on a visit to the merchant's product page.
    """

    category: np.ndarray
    price: np.ndarray
    return_rate: np.ndarray
    gift_suitability: np.ndarray


def draw_kind_products(t: MerchantTypeConfig, categories: CategoriesConfig | None, n: int,
                       rng: np.random.Generator) -> KindProducts:
    """Draw the products of ``n`` merchants of kind ``t``.

    Without ``t.categories``: one draw of ``t.price`` for the ``n`` merchants (as before
    categories existed). With them: one ``rng.choice`` of the categories by the weights
    (normalised), then, category by category in code order, one draw of the category's
    price for its merchants.

    Raises
    ------
    ValueError
        If the kind names a category ``categories`` lacks (the scenario's validation
        refuses this first).
    """
    if t.categories is None or categories is None:
        return KindProducts(category=np.full(n, -1, dtype=np.int8), price=t.price.sample(rng, n),
                            return_rate=np.full(n, t.return_rate), gift_suitability=np.ones(n))
    table = categories.by_name()
    names = list(table)
    missing = [c for c in t.categories if c not in table]
    if missing:
        raise ValueError(f"unknown product category {missing[0]!r}; allowed: {', '.join(names)}")
    codes = np.array([names.index(c) for c in t.categories], dtype=np.int64)
    w = np.array(list(t.categories.values()), dtype=np.float64)
    code = codes[rng.choice(codes.size, size=n, p=w / w.sum())] if n else np.zeros(0, dtype=np.int64)
    price = np.empty(n)
    ret = np.empty(n)
    suit = np.empty(n)
    for c in np.unique(code):
        cfg = table[names[c]]
        at = np.flatnonzero(code == c)
        price[at] = cfg.price.sample(rng, at.size)
        ret[at] = cfg.return_rate
        suit[at] = cfg.gift_suitability
    return KindProducts(category=code.astype(np.int8), price=price, return_rate=ret, gift_suitability=suit)
