"""Reads a DOCX back with python-docx and prints what the report test checks, as JSON:
the core properties, the default text language, every paragraph (style, text), every
list item, every table (rows of cell text; whether its first row repeats as a header),
and each picture's alternative text, all in document order."""

import json
import sys

from docx import Document
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph


def main(path):
    doc = Document(path)
    out = {
        "title": doc.core_properties.title,
        "author": doc.core_properties.author,
        "created": doc.core_properties.created.isoformat() if doc.core_properties.created else None,
        "language": doc.core_properties.language,
        "text_language": next(iter(doc.styles.element.xpath(".//w:docDefaults//w:lang/@w:val")), None),
        "paragraphs": [],
        "list_items": [],
        "tables": [],
        "picture_alt_texts": [
            doc_pr.get("descr") for doc_pr in doc.element.body.iter(qn("wp:docPr"))
        ],
        "inline_shapes": len(doc.inline_shapes),
    }
    def list_format(paragraph):
        # Read only when there is a list: a document without one has no numbering part.
        numbering = doc.part.numbering_part.element
        num_id = paragraph._p.pPr.numPr.numId.val
        abstract = numbering.xpath(f'./w:num[@w:numId="{num_id}"]/w:abstractNumId/@w:val')[0]
        return numbering.xpath(
            f'./w:abstractNum[@w:abstractNumId="{abstract}"]/w:lvl[@w:ilvl="0"]/w:numFmt/@w:val')[0]

    out["list_formats"] = []
    for item in doc.iter_inner_content():
        if isinstance(item, Paragraph):
            style = item.style.name if item.style is not None else None
            out["paragraphs"].append({"style": style, "text": item.text})
            if item._p.pPr is not None and item._p.pPr.numPr is not None:
                out["list_items"].append(item.text)
                out["list_formats"].append(list_format(item))
        elif isinstance(item, Table):
            first = item.rows[0]._tr if item.rows else None
            tr_pr = first.trPr if first is not None else None
            out["tables"].append({
                "rows": [[cell.text for cell in row.cells] for row in item.rows],
                "header_repeats": tr_pr is not None and tr_pr.find(qn("w:tblHeader")) is not None,
                "row_properties": [len(row._tr.findall(qn("w:trPr"))) for row in item.rows],
            })
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
