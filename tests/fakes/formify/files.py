"""Uploaded files: the checks Formify makes on a PDF, its pages and form fields, and merging.

Reference: Formify API docs, "files" (POST /files, POST /files/merge, DELETE /files/{fileId},
GET /files/{fileId}/fields).
"""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from tests.fakes.formify.state import ApiError, FormifyState, new_id

# PDF form field flags (PDF 32000-1, tables 221, 226, 230).
READ_ONLY, REQUIRED = 1 << 0, 1 << 1
RADIO, PUSHBUTTON, COMBO = 1 << 15, 1 << 16, 1 << 17


class FileStore:
    def __init__(self, state: FormifyState):
        self.state = state

    def upload(self, name: str, content: bytes) -> str:
        """POST /files: stores a PDF and returns its fileId; ApiError 400 for anything else."""
        self._check_size(len(content), "The file")
        reader = _read_pdf(content)
        return self._store(name, content, reader)

    def merge(self, body) -> str:
        """POST /files/merge: 2-8 unique uploaded files, in order, into a new file."""
        file_ids = body.get("fileIds") if isinstance(body, dict) else None
        unique = isinstance(file_ids, list) and len(set(map(str, file_ids))) == len(file_ids)
        if not unique or not 2 <= len(file_ids) <= 8:
            raise ApiError(400, "validation_error", "fileIds must list between 2 and 8 different uploaded files.")
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "validation_error", "A name for the merged file is required.")
        with self.state.lock:
            parts = [self.get(file_id)["content"] for file_id in file_ids]
        self._check_size(sum(map(len, parts)), "The merged file")
        writer = PdfWriter()
        for part in parts:
            writer.append(PdfReader(io.BytesIO(part)))
        buffer = io.BytesIO()
        writer.write(buffer)
        content = buffer.getvalue()
        return self._store(name, content, PdfReader(io.BytesIO(content)))

    def blank(self, name: str, pages: int = 1) -> str:
        """A blank PDF stored as if uploaded (for documents made in Formify's app)."""
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(width=595, height=842)
        buffer = io.BytesIO()
        writer.write(buffer)
        content = buffer.getvalue()
        return self._store(name, content, PdfReader(io.BytesIO(content)))

    def delete(self, file_id: str) -> None:
        with self.state.lock:
            self.get(file_id)["deleted"] = True

    def get(self, file_id: str) -> dict:
        """A file that exists and is not deleted; ApiError 404 otherwise."""
        file = self.state.files.get(file_id)
        if file is None or file["deleted"]:
            raise ApiError(404, "file_not_found", f"No file with id {file_id}.")
        return file

    def _check_size(self, size: int, what: str) -> None:
        limit = self.state.max_file_size
        if size > limit:
            raise ApiError(400, "file_too_large", f"{what} is larger than the {limit / 2**20:g} MB Formify accepts.")

    def _store(self, name: str, content: bytes, reader: PdfReader) -> str:
        file_id = new_id()
        with self.state.lock:
            self.state.files[file_id] = {
                "fileId": file_id,
                "name": name,
                "content": content,
                "deleted": False,
                "pageCount": len(reader.pages),
                "fields": form_fields(reader),
                "uploadedAt": self.state.iso(),
            }
        return file_id


def _read_pdf(content: bytes) -> PdfReader:
    # PDF readers accept the header anywhere in the first 1024 bytes (PDF 32000-1, annex H.3).
    if b"%PDF-" not in content[:1024]:
        raise ApiError(400, "invalid_file_type", "Only PDF files can be uploaded.")
    try:
        reader = PdfReader(io.BytesIO(content))
        locked = reader.is_encrypted
        len(reader.pages)
    except Exception:  # noqa: BLE001 - pypdf raises many types on a damaged file; all mean "unreadable"
        raise ApiError(400, "invalid_file", "The PDF could not be read; it may be damaged.") from None
    if locked:
        raise ApiError(400, "locked_file", "The PDF is password-protected or locked; upload an unlocked file.")
    return reader


def form_fields(reader: PdfReader) -> list[dict]:
    """The file's form fields as GET /files/{fileId}/fields lists them (signature fields are
    removed on upload, so they are left out)."""
    fields = []
    for name, field in (reader.get_fields() or {}).items():
        flags = int(field.get("/Ff", 0))
        kind = _field_type(field.get("/FT"), flags)
        if kind is None:
            continue
        value = field.get("/V")
        fields.append(
            {
                "fieldId": str(len(fields) + 1),
                "name": name,
                "type": kind,
                "required": bool(flags & REQUIRED),
                "readOnly": bool(flags & READ_ONLY),
                "editable": not flags & READ_ONLY,
                "defaultValues": [str(value).lstrip("/")] if value not in (None, "") else [],
            }
        )
    return fields


def _field_type(pdf_type: str | None, flags: int) -> str | None:
    if pdf_type == "/Tx":
        return "textField"
    if pdf_type == "/Ch":
        return "combobox" if flags & COMBO else "listbox"
    if pdf_type == "/Btn" and not flags & PUSHBUTTON:
        return "radioButton" if flags & RADIO else "checkbox"
    return None
