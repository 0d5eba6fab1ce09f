"""Active content in uploaded PDFs: what a PDF reader would run or send on its own — scripts,
launch and submit actions, embedded files, actions on opening and other events. Signers open
these files, so it is taken out before a file is stored; what the page shows stays as it was."""

from __future__ import annotations

import pikepdf

# Actions that run code, start programs, send or fetch data, or open embedded files.
ACTIVE_ACTIONS = {
    "/JavaScript": "scripts",
    "/Launch": "launch actions",
    "/SubmitForm": "form submissions",
    "/ImportData": "data imports",
    "/GoToE": "links into embedded files",
    "/Rendition": "media actions",
    "/RichMediaExecute": "media actions",
}


def pdf_strip_active(pdf: pikepdf.Pdf) -> list[str]:
    """Removes active content from `pdf` in place. Returns what was removed, in words, sorted
    (empty when the file had none)."""
    removed: set[str] = set()
    _strip_catalog(pdf.Root, removed)
    for page in pdf.pages:
        _strip_file_attachments(page.obj, removed)
    _strip_actions(pdf.Root, removed)
    return sorted(removed)


def _strip_catalog(root: pikepdf.Dictionary, removed: set[str]) -> None:
    if "/OpenAction" in root:
        del root["/OpenAction"]
        removed.add("an action on opening")
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        for key, label in (("/JavaScript", "scripts"), ("/EmbeddedFiles", "embedded files")):
            if key in names:
                del names[key]
                removed.add(label)
    form = root.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary) and "/XFA" in form:
        del form["/XFA"]  # XFA forms carry their own scripts
        removed.add("scripts")


def _strip_file_attachments(page: pikepdf.Dictionary, removed: set[str]) -> None:
    annotations = page.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    kept = [
        a for a in annotations if not (isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") == "/FileAttachment")
    ]
    if len(kept) != len(annotations):
        page["/Annots"] = pikepdf.Array(kept)
        removed.add("embedded files")


def _strip_actions(start: pikepdf.Object, removed: set[str]) -> None:
    """Walks everything reachable from `start` once: drops every additional-actions entry (/AA:
    on page open, on field focus…) and every action that is active."""
    seen: set[tuple[int, int]] = set()
    pending = [start]
    while pending:
        obj = pending.pop()
        if not isinstance(obj, (pikepdf.Array, pikepdf.Dictionary, pikepdf.Stream)):
            continue  # numbers, names, strings: nothing inside
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        if isinstance(obj, pikepdf.Array):
            pending.extend(obj)
            continue
        if "/AA" in obj:
            del obj["/AA"]
            removed.add("automatic actions")
        for key in ("/A", "/Next", "/OpenAction"):
            label = _active(obj.get(key))
            if label:
                del obj[key]
                removed.add(label)
        pending.extend(obj[key] for key in obj.keys())


def _active(action) -> str:
    """What the action does in words when it is active, else ""."""
    if isinstance(action, pikepdf.Array):
        return next((label for item in action if (label := _active(item))), "")
    if isinstance(action, pikepdf.Dictionary):
        return ACTIVE_ACTIONS.get(str(action.get("/S", "")), "")
    return ""
