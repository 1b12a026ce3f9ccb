"""Walks a PDF's structure tree with pikepdf and prints what the report test checks, as
JSON: the document's language, whether it is marked (tagged), the PDF/UA part claimed in
its XMP metadata, the standard role of every structure element in reading order (custom
roles mapped through the RoleMap), and the /Alt of every Figure."""

import json
import sys

import pikepdf


def main(path):
    pdf = pikepdf.open(path)
    root = pdf.Root
    role_map = root.StructTreeRoot.get("/RoleMap", pikepdf.Dictionary())
    roles, figure_alts = [], []

    def standard(role):
        seen = set()
        while role in role_map and role not in seen:
            seen.add(role)
            role = role_map[role]
        return str(role)

    def walk(node):
        if isinstance(node, pikepdf.Array):
            for kid in node:
                walk(kid)
            return
        if not isinstance(node, pikepdf.Dictionary):
            return  # a marked-content id: page content, not structure
        if "/S" in node:
            role = standard(node.S)
            roles.append(role.lstrip("/"))
            if role == "/Figure":
                figure_alts.append(str(node.Alt) if "/Alt" in node else None)
        if "/K" in node:
            walk(node.K)

    walk(root.StructTreeRoot.get("/K", pikepdf.Array()))
    with pdf.open_metadata() as meta:
        part = meta.get("pdfuaid:part")
    mark_info = root.get("/MarkInfo", pikepdf.Dictionary())
    json.dump({
        "lang": str(root.get("/Lang", "")),
        "marked": bool(mark_info.get("/Marked", False)),
        "pdfua_part": part,
        "roles": roles,
        "figure_alts": figure_alts,
    }, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
