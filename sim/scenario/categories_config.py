"""Product categories: ``[categories.<name>]`` tables, and a merchant kind's ``categories`` weights.

A category says what a product costs (``price``, a distribution), how likely a visitor is
to gift it (``gift_suitability``, a multiplier of the chance to gift on a product-page
visit) and how often it comes back (``return_rate``, the chance of return for a product of
quality 0, falling linearly to 0 at quality 1, as a merchant kind's ``return_rate``).

Six categories are built in (``books``, ``small_appliances``, ``food``, ``apparel``,
``beauty``, ``luxury``); a table for one of them changes only the keys it gives; any other
name declares a new category, which needs at least ``price``. A merchant kind that gives
``categories = {books = 1, food = 2}`` has each of its merchants draw a category by these
weights, then its price from the category's ``price`` and its return chance from the
category's ``return_rate`` (the kind's own ``price`` and ``return_rate`` are not used);
kinds without ``categories`` (the default) behave exactly as before categories existed.

Sources: the built-in prices, suitabilities and the return rates other than apparel's are
assumptions (ranges in each field's text); apparel's return rate is the Yicai Global figure
(industry insiders cite up to 80% for women's apparel online, ``../shared/evidence.md``);
books and small appliances led the Spring Festival 2025 gifts (窄播, evidence.md), hence
their suitability above 1.
"""

from __future__ import annotations

import re
from typing import Annotated, ClassVar

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, model_serializer, model_validator
from pydantic.fields import FieldInfo

from .distributions import LogNormal, PositiveDist
from .errors import KeyProblem
from .named_tables import complete_named_tables

__all__ = ["CategoryConfig", "CategoriesConfig", "CategoryWeights", "MAX_CATEGORIES", "check_kind_categories"]

MAX_CATEGORIES = 100
"""Most product categories a scenario may declare (a merchant's category is stored as int8)."""

_NAME = r"[a-z][a-z0-9_]{0,39}"

Share = Annotated[StrictFloat, Field(ge=0.0, le=1.0)]

CategoryWeights = dict[str, Annotated[StrictFloat, Field(ge=0.0, le=1e6)]]
"""A merchant kind's ``categories``: category name -> weight (>= 0, at least one > 0);
each merchant of the kind draws its category with probability weight / sum of weights."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True)


class CategoryConfig(_Strict):
    """One product category: price, gift suitability and returns."""

    price: PositiveDist
    """Product price, RMB, clipped to ``gifts.price_cap`` (required for a new category).
    Built-in medians: assumption, ranges in docs/model.md, Product categories."""
    gift_suitability: Annotated[StrictFloat, Field(ge=0.0, le=100.0)] = 1.0
    """Multiplier of the chance to gift on a product-page visit (1: as a product without
    category; the chance, with all its factors, is capped at 1). Built-in values and their
    sources and ranges: docs/model.md, Product categories (books and small appliances led
    the Spring Festival 2025 gifts, evidence.md; the others assumption; range 0.3-3); a new
    category: 1."""
    return_rate: Share = 0.2
    """Chance of return for a product of quality 0; it falls linearly to 0 at quality 1.
    Built-in values, sources and ranges: docs/model.md, Product categories (apparel 0.8,
    Yicai Global); a new category: 0.2, a merchant kind's default (assumption)."""


class _PartialTable:
    """JSON Schema of a table whose keys all default (a built-in category in
    ``[categories.apparel]`` takes the category's own defaults for the keys it leaves out)."""

    def __get_pydantic_json_schema__(self, core_schema, handler):
        full = handler.resolve_ref_schema(handler(core_schema))
        return {k: v for k, v in full.items() if k != "required"}


Builtin = Annotated[CategoryConfig, _PartialTable()]


class CategoriesConfig(BaseModel):
    """The product categories, a table keyed by name (see the module text): the built-in
    ones in the order below, then the scenario's own in file order. A merchant's category
    code (``category``, int8, of the merchant table; -1 for none) is the position of its
    category in :attr:`names`."""

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False, validate_default=True,
                              use_attribute_docstrings=True,
                              json_schema_extra={"propertyNames": {"pattern": f"^{_NAME}$"}})
    __pydantic_extra__: dict[str, CategoryConfig] = Field(init=False)
    FREE_KEY_FIELD: ClassVar[FieldInfo] = FieldInfo.from_annotation(CategoryConfig)
    """The field of a key the class does not declare (a new category's table), for the
    loader's look-up of dotted keys such as ``categories.toys.price``."""

    books: Builtin = CategoryConfig(price=LogNormal(median=60.0, sigma=0.5), gift_suitability=1.5,
                                    return_rate=0.05)
    """Books: median 60 RMB (assumption, range 30-120); suitability 1.5 (books led the Spring
    Festival 2025 gifts, evidence.md; range 1-3); return rate 0.05 (assumption, range
    0.02-0.15: few returns online)."""
    small_appliances: Builtin = CategoryConfig(price=LogNormal(median=300.0, sigma=0.7), gift_suitability=1.5,
                                               return_rate=0.3)
    """Small appliances: median 300 RMB (assumption, range 100-800); suitability 1.5 (small
    appliances led the Spring Festival 2025 gifts, evidence.md; range 1-3); return rate 0.3 at
    quality 0 (assumption, range 0.1-0.5; electronics 8-15% online on average)."""
    food: Builtin = CategoryConfig(price=LogNormal(median=100.0, sigma=0.6), gift_suitability=1.2,
                                   return_rate=0.05)
    """Food and festival gift boxes: median 100 RMB (assumption, range 50-300); suitability
    1.2 (assumption, range 0.8-2: the occasions' gift boxes); return rate 0.05 (assumption,
    range 0.01-0.1: perishables are rarely returnable)."""
    apparel: Builtin = CategoryConfig(price=LogNormal(median=150.0, sigma=0.7), gift_suitability=0.6,
                                      return_rate=0.8)
    """Apparel: median 150 RMB (assumption, range 80-400); suitability 0.6 (assumption, range
    0.3-1: the giver must guess the size); return rate 0.8 at quality 0 (Yicai Global:
    industry insiders cite up to 80% for women's apparel online; range 0.3-0.9)."""
    beauty: Builtin = CategoryConfig(price=LogNormal(median=250.0, sigma=0.7), gift_suitability=1.0,
                                     return_rate=0.15)
    """Beauty: median 250 RMB (assumption, range 100-600); suitability 1.0 (assumption, range
    0.7-2); return rate 0.15 at quality 0 (assumption, range 0.05-0.3; beauty 5-12% online)."""
    luxury: Builtin = CategoryConfig(price=LogNormal(median=3000.0, sigma=0.8), gift_suitability=1.0,
                                     return_rate=0.15)
    """Luxury goods: median 3,000 RMB, clipped to the 10,000 RMB price cap (assumption, range
    1,000-8,000); suitability 1.0 (assumption, range 0.5-2: a classic gift, rarely afforded);
    return rate 0.15 at quality 0 (assumption, range 0.05-0.3)."""

    @model_validator(mode="before")
    @classmethod
    def _partial_tables(cls, data: object) -> object:
        # `[categories.apparel] return_rate = 0.5` changes only that key; any other name is
        # a new category: a table with a plain name and known keys (price required).
        return complete_named_tables(data, cls.model_fields, builtin_categories(), most=MAX_CATEGORIES,
                                     noun="category", plural="categories", check_new=_check_new_category)

    @model_serializer(mode="wrap")
    def _omit_default_builtins(self, handler):
        # Built-in categories left at their defaults are left out of dumps: a scenario
        # written before categories existed keeps its run id.
        data = handler(self)
        if isinstance(data, dict):
            for name, default in builtin_categories().items():
                if getattr(self, name) == default:
                    data.pop(name, None)
        return data

    @property
    def names(self) -> tuple[str, ...]:
        """Category names in code order: the built-in ones, then the scenario's own."""
        return tuple(builtin_categories()) + tuple(self.__pydantic_extra__ or ())

    def by_name(self) -> dict[str, CategoryConfig]:
        """The categories, name to config, in the order of :attr:`names`."""
        return {name: getattr(self, name) for name in self.names}

    def is_default(self) -> bool:
        """Whether the table is the built-in one, unchanged (so it is left out of dumps)."""
        return not self.__pydantic_extra__ and all(
            getattr(self, n) == d for n, d in builtin_categories().items())


def builtin_categories() -> dict[str, CategoryConfig]:
    """The built-in categories with their defaults, in code order."""
    return {name: f.default for name, f in CategoriesConfig.model_fields.items()
            if isinstance(f.default, CategoryConfig)}


def _check_new_category(name: str, given: object) -> None:
    """Refuse a key of ``[categories]`` that is not a category table.

    Raises
    ------
    KeyProblem
        Naming the key: not a table, not a plain name, an unknown key, or no ``price``.
    """
    if not isinstance(given, (dict, CategoryConfig)):
        raise KeyProblem(name, f"is not a category table; allowed: a table [categories.{name}] with price "
                         "(required), gift_suitability and return_rate", given)
    if not re.fullmatch(_NAME, name):
        raise KeyProblem(name, "is not a category name; allowed: a name of lower-case letters, digits and '_', "
                         "starting with a letter, at most 40 characters (e.g. toys)")
    if isinstance(given, dict):
        unknown = [k for k in given if k not in CategoryConfig.model_fields]
        if unknown:
            raise KeyProblem(f"{name}.{unknown[0]}", "unknown key; allowed keys here: "
                             f"{', '.join(CategoryConfig.model_fields)}", given[unknown[0]])
        if "price" not in given:
            raise KeyProblem(f"{name}.price", "is missing: a new category needs a price distribution (RMB), "
                             'e.g. price = {dist = "lognormal", median = 80, sigma = 0.5}')


def check_kind_categories(kinds: dict[str, object], categories: CategoriesConfig) -> None:
    """Check the ``categories`` weights of every merchant kind against the category table.

    Parameters
    ----------
    kinds : dict of str to MerchantTypeConfig
        The scenario's merchant kinds (``MerchantConfig.kinds()``).
    categories : CategoriesConfig

    Raises
    ------
    KeyProblem
        Naming ``merchants.<kind>.categories``: a weight naming an unknown category, or
        weights that are all 0.
    """
    known = categories.names
    for kind, t in kinds.items():
        weights = getattr(t, "categories", None)
        if weights is None:
            continue
        key = ("merchants", kind, "categories")
        unknown = [n for n in weights if n not in known]
        if unknown:
            raise KeyProblem(key + (unknown[0],), f"names {unknown[0]!r}, not a category of the scenario; "
                             f"allowed: {', '.join(known)} (the [categories.<name>] tables)", weights[unknown[0]])
        if not any(w > 0 for w in weights.values()):
            raise KeyProblem(key, "has no positive weight; allowed: category = weight pairs, weights >= 0, at "
                             "least one > 0 (or leave the key out for no category)", dict(weights))
