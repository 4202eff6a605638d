"""Writes N distinct Word documents of about 1 MB each (a body of random text that deflate cannot
shrink much, and a macro project the rebuild must remove), for the transfer benchmark."""
import os, random, sys, zipfile

types = ('<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
         '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
         '<Default Extension="xml" ContentType="application/xml"/>'
         '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
         '<Override PartName="/word/document.xml" ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>')
rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
doc_rels = ('<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
words = ["見積", "請求", "納品", "説明会", "水俣市", "委託", "報告", "案内", "会議", "資料"]


def write_document(path, rng, xml_bytes):
    """A macro-enabled Word document at PATH whose body is about XML_BYTES of random text."""
    paragraphs = []
    size = 0
    while size < xml_bytes:
        text = " ".join(rng.choice(words) + format(rng.getrandbits(64), "x") for _ in range(40))
        paragraphs.append(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>")
        size += len(paragraphs[-1].encode())
    body = ('<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
            + "".join(paragraphs) + "</w:body></w:document>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", types)
        z.writestr("_rels/.rels", rels)
        z.writestr("word/document.xml", body)
        z.writestr("word/_rels/document.xml.rels", doc_rels)
        z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub AutoOpen() Shell \"calc\"")


if __name__ == "__main__":
    out, count = sys.argv[1], int(sys.argv[2])
    os.makedirs(out, exist_ok=True)
    rng = random.Random(20261205)
    for i in range(count):
        # About 2.15 MB of text deflates to about 1 MB.
        write_document(os.path.join(out, f"見積書{i:03d}.docm"), rng, 2_150_000)
