"""Social graphs: reading, generating, cleaning, and the CSR arrays the model runs on."""

from .build import build_graph, graph_file_facts, graph_problems
from .check import check_graph_file
from .csr import CleanEdges, CleanupReport, CSRGraph, clean_edges, to_csr
from .generators import GraphConfigError, generate
from .groups import GroupsFileError, GroupTable, generate_groups, read_groups_file
from .io import GraphFileError, read_edgelist, read_graph_file, read_networkx_file

__all__ = [
    "build_graph",
    "graph_file_facts",
    "graph_problems",
    "check_graph_file",
    "CSRGraph",
    "CleanEdges",
    "CleanupReport",
    "clean_edges",
    "to_csr",
    "generate",
    "GraphConfigError",
    "GraphFileError",
    "read_edgelist",
    "read_graph_file",
    "read_networkx_file",
    "GroupTable",
    "GroupsFileError",
    "generate_groups",
    "read_groups_file",
]
