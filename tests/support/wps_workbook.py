"""Turn a workbook openpyxl wrote into one shaped the way WPS Office saves it.

What changes (each something the importer must take in its stride):

- text cells alternate between shared strings (`t="s"`) and inline strings (`t="inlineStr"`);
- whole numbers are stored as floats (`<v>1.0</v>`), and text made only of digits
  (a phone number such as 12345) becomes a number;
- cells get trailing spaces, at the end and before each line break, and every third
  row's line breaks become "\r\n";
- every row gets an empty styled cell far to the right (column Z), and empty styled
  rows follow the last one, with the sheet's dimension grown to match;
- docProps/app.xml names WPS, and docProps/custom.xml carries WPS's KSOProductBuildVer.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

SST_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
CUSTOM_TYPE = "application/vnd.openxmlformats-officedocument.custom-properties+xml"
CUSTOM_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/custom-properties"
APP_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
           'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
           '<Application>WPS 表格</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>'
           '<Company></Company><LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>'
           '<HyperlinksChanged>false</HyperlinksChanged><AppVersion>12.0000</AppVersion></Properties>')
CUSTOM_XML = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
              'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
              '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="KSOProductBuildVer">'
              '<vt:lpwstr>2052-12.1.0.16929</vt:lpwstr></property></Properties>')
TEXT_CELL = re.compile(r'<c r="([A-Z]+)(\d+)"((?: s="\d+")?) t="inlineStr"><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
                       re.DOTALL)
NUMBER_CELL = re.compile(r'(<c r="[A-Z]+\d+"(?: s="\d+")? t="n"><v>)(-?\d+)(</v>)')


def save_as_wps(src: Path, dst: Path, extra_rows: int = 6) -> None:
    with zipfile.ZipFile(src) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    shared: list[str] = []

    def text_cell(m: re.Match) -> str:
        col, row, style, text = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        if text.isdigit():
            return f'<c r="{col}{row}"{style} t="n"><v>{text}</v></c>'
        text = text.replace("\n", "&#13;\n" if row % 3 == 0 else " \n") + "  "
        if row % 2:
            shared.append(text)
            return f'<c r="{col}{row}"{style} t="s"><v>{len(shared) - 1}</v></c>'
        return f'<c r="{col}{row}"{style} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'

    for name in [n for n in parts if n.startswith("xl/worksheets/sheet")]:
        xml = parts[name].decode("utf-8")
        xml = NUMBER_CELL.sub(r"\g<1>\g<2>.0\g<3>", xml)
        xml = TEXT_CELL.sub(text_cell, xml)
        xml = re.sub(r'(<row r="(\d+)"[^>]*>.*?)</row>', r'\1<c r="Z\2" s="0"/></row>', xml, flags=re.DOTALL)
        last = max(int(r) for r in re.findall(r'<row r="(\d+)"', xml))
        empty = "".join(f'<row r="{r}"><c r="A{r}" s="0"/><c r="B{r}" s="0"/></row>'
                        for r in range(last + 1, last + 1 + extra_rows))
        xml = xml.replace("</sheetData>", empty + "</sheetData>")
        xml = re.sub(r'<dimension ref="[^"]*"\s*/>', f'<dimension ref="A1:Z{last + extra_rows}"/>', xml)
        parts[name] = xml.encode("utf-8")

    sst = "".join(f'<si><t xml:space="preserve">{t}</t></si>' for t in shared)
    parts["xl/sharedStrings.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{len(shared)}" '
        f'uniqueCount="{len(shared)}">{sst}</sst>').encode()
    types = parts["[Content_Types].xml"].decode("utf-8").replace(
        "</Types>", f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_TYPE}"/>'
                    f'<Override PartName="/docProps/custom.xml" ContentType="{CUSTOM_TYPE}"/></Types>')
    parts["[Content_Types].xml"] = types.encode("utf-8")
    rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8").replace(
        "</Relationships>", f'<Relationship Id="rId99" Type="{SST_REL}" Target="sharedStrings.xml"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
    root = parts["_rels/.rels"].decode("utf-8").replace(
        "</Relationships>", f'<Relationship Id="rId99" Type="{CUSTOM_REL}" Target="docProps/custom.xml"/></Relationships>')
    parts["_rels/.rels"] = root.encode("utf-8")
    parts["docProps/app.xml"] = APP_XML.encode("utf-8")
    parts["docProps/custom.xml"] = CUSTOM_XML.encode("utf-8")
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
