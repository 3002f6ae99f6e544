"""placeholder"""
from dataclasses import dataclass
@dataclass(frozen=True)
class DashboardConfig:
    folder: str
def configure(c): pass
