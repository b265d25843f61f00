"""`search serve`: the search page, passage and document pages, exports and a JSON API.

A thin layer over the library, as Datasette's views are over its database: each view parses
the request, calls one Engine method, and renders a template. Read-only; every state is in the
URL. The index is followed as it is updated: before each request the generation `CURRENT`
names is compared with the one open, and a new one is opened when it changed, so the server
never holds a generation that a later update removes.

Starlette, uvicorn and Jinja2 are imported here only: `search query` never loads them.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from indexer import generations
from search.cite import human_date, reference
from search.engine import (
    CitationNotFound,
    Engine,
    FilterError,
    Filters,
    QueryError,
)
from search.export import hits_csv, hits_markdown

HERE = Path(__file__).parent
PAGE_SIZE = 20
EXPORT_LIMIT = 10_000  # the most matches an export holds (?limit= asks for fewer)
DOCUMENT_PAGE = 100  # passages a document page shows
FILTER_FIELDS = ("year", "date_from", "date_to", "la", "kind", "grade", "role", "source")
FACET_PARAMETER = {  # a facet's name -> the filter its values set (publisher: a query field)
    "kind": "kind",
    "inspection_year": "year",
    "local_authority": "la",
    "overall_effectiveness": "grade",
    "role": "role",
}
FACET_TITLE = {
    "kind": "Kind",
    "inspection_year": "Inspection year",
    "local_authority": "Local authority",
    "overall_effectiveness": "Overall grade",
    "publisher": "Publisher",
    "role": "Role",
}


class LiveIndex:
    """The engine over the generation CURRENT names, reopened when that changes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    def engine(self) -> Engine:
        with self._lock:
            now = generations.current(self.folder)
            if self._engine is None or self._engine.store.generation != now:
                if self._engine is not None:
                    self._engine.close()
                self._engine = Engine.open(self.folder, ranking="arrays")  # a warm process
            return self._engine


def highlighted(text: str, spans: list[tuple[int, int]]) -> Markup:
    """The passage escaped, its matches in <mark>."""
    out, last = [], 0
    for start, end in spans:
        out += [
            escape(text[last:start]),
            Markup("<mark>"),
            escape(text[start:end]),
            Markup("</mark>"),
        ]
        last = end
    out.append(escape(text[last:]))
    return Markup("").join(out)


def url(
    state: dict[str, str], change: dict[str, Any], drop: tuple[str, ...] = (), path: str = "/"
) -> str:
    """The URL of the search `state` with `change` made and `drop` left out: every state of
    the page is a URL (sorted, so that one state has one URL)."""
    params = {k: v for k, v in state.items() if k not in drop}
    params.update({k: str(v) for k, v in change.items()})
    return f"{path}?{urlencode(sorted(params.items()))}"


def key_url(prefix: str, key: str) -> str:
    """A page's URL for a citation key or document id ("#" and spaces escaped)."""
    return prefix + quote(key, safe="/")


def facet_links(
    state: dict[str, str], facets: dict[str, list[tuple[str, int]]], shown: int = 12
) -> dict[str, list[tuple[str, int, str]]]:
    """Each facet's values with their counts and the URL that narrows the search to them."""
    links: dict[str, list[tuple[str, int, str]]] = {}
    for name, values in facets.items():
        entries = []
        for value, count in values[:shown]:
            if name in FACET_PARAMETER:
                target = url(state, {FACET_PARAMETER[name]: value}, ("page",))
            else:  # no filter option for it: a field of the query
                quoted = value.replace('"', " ")
                target = url(state, {"q": f'{state["q"]} {name}:"{quoted}"'}, ("page",))
            entries.append((value, count, target))
        if entries:
            links[name] = entries
    return links


def _templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(human_date=human_date, reference=reference, highlighted=highlighted, url=url)
    env.globals.update(key_url=key_url)
    env.globals.update(FACET_TITLE=FACET_TITLE, FACET_PARAMETER=FACET_PARAMETER)
    return env


def _state(request: Request) -> dict[str, str]:
    """The search's state from the URL: the query and the filters given (none empty)."""
    params = request.query_params
    names = ("q", *FILTER_FIELDS)
    return {n: params[n].strip() for n in names if params.get(n, "").strip()}


def _filters(state: dict[str, str]) -> Filters:
    return Filters(**{n: state.get(n) for n in FILTER_FIELDS})


def _number(request: Request, name: str, default: int, top: int) -> int:
    try:
        return min(max(int(request.query_params.get(name, default)), 1), top)
    except ValueError:
        return default


class Views:
    """The pages, over one live index."""

    def __init__(self, index: LiveIndex) -> None:
        self.index = index
        self.env = _templates()

    def render(self, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        page = self.env.get_template(name).render(urlencode=urlencode, **context)
        return HTMLResponse(page, status_code=status)

    def problem(self, message: str, status: int, state: dict[str, str] | None = None) -> Response:
        return self.render("problem.html", status, message=message, state=state or {})

    async def search(self, request: Request) -> Response:
        state = _state(request)
        if "q" not in state:
            return self.render("search.html", state=state, result=None, facets=None, page=1)
        page = _number(request, "page", 1, 10_000)
        if page > 1:
            state["page"] = str(page)
        engine = self.index.engine()
        try:
            result = engine.search(state["q"], **asdict(_filters(state)), limit=page * PAGE_SIZE)
            facets = facet_links(state, engine.facets(state["q"], _filters(state)))
        except (QueryError, FilterError) as error:
            return self.problem(str(error), 400, state)
        hits = result.results[(page - 1) * PAGE_SIZE :]
        pages = max(1, -(-result.total // PAGE_SIZE))
        return self.render(
            "search.html", state=state, result=result, hits=hits, facets=facets,
            page=page, pages=pages, documents=engine.document, page_size=PAGE_SIZE,
        )  # fmt: skip

    async def api_search(self, request: Request) -> Response:
        state = _state(request)
        if "q" not in state:
            return JSONResponse({"error": "give a query: ?q=words"}, status_code=400)
        limit = _number(request, "limit", 10, EXPORT_LIMIT)
        try:
            result = self.index.engine().search(state["q"], **asdict(_filters(state)), limit=limit)
        except (QueryError, FilterError) as error:
            return JSONResponse({"error": str(error)}, status_code=400)
        return JSONResponse(asdict(result))

    async def export(self, request: Request) -> Response:
        state = _state(request)
        if "q" not in state:
            return self.problem("Give a query to export its matches.", 400)
        limit = _number(request, "limit", EXPORT_LIMIT, EXPORT_LIMIT)
        engine = self.index.engine()
        try:
            result = engine.search(state["q"], **asdict(_filters(state)), limit=limit)
        except (QueryError, FilterError) as error:
            return self.problem(str(error), 400, state)
        if request.path_params["format"] not in ("csv", "md"):
            return self.problem("Exports are export.csv and export.md.", 404, state)
        if request.path_params["format"] == "csv":
            body, media = hits_csv(result.results, engine.document), "text/csv; charset=utf-8"
        else:
            body = hits_markdown(result.query, result.total, result.results)
            media = "text/markdown; charset=utf-8"
        name = f"search.{request.path_params['format']}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        return Response(body.encode("utf-8"), media_type=media, headers=headers)

    async def passage(self, request: Request) -> Response:
        around = _number(request, "context", 2, 50)
        engine = self.index.engine()
        try:
            before, passage, after = engine.context(request.path_params["key"], around)
        except CitationNotFound as error:
            return self.problem(str(error), 404)
        document = engine.document(passage.citation.rsplit("#", 1)[0])
        has_file = bool(document and document.path and Path(document.path).is_file())
        return self.render(
            "passage.html", passage=passage, before=before, after=after, around=around,
            document=document, has_file=has_file,
        )  # fmt: skip

    async def document(self, request: Request) -> Response:
        engine = self.index.engine()
        doc_id = request.path_params["doc_id"]
        document = engine.document(doc_id)
        if document is None:
            return self.problem(f"No document '{doc_id}' in the index.", 404)
        page = _number(request, "page", 1, 10_000)
        passages = engine.passages_of(doc_id)
        pages = max(1, -(-len(passages) // DOCUMENT_PAGE))
        shown = passages[(page - 1) * DOCUMENT_PAGE : page * DOCUMENT_PAGE]
        return self.render(
            "document.html", document=document, passages=shown, page=page, pages=pages,
        )  # fmt: skip

    async def file(self, request: Request) -> Response:
        """An indexed file, by its document's key only: no request names a path."""
        document = self.index.engine().document(request.path_params["doc_id"])
        if document is None or not document.path or not Path(document.path).is_file():
            return self.problem("That document's file is not at hand.", 404)
        media = "application/pdf" if document.path.lower().endswith(".pdf") else None
        return FileResponse(document.path, media_type=media)


def create_app(index_dir: Path) -> Starlette:
    """The web application over the index in `index_dir` (opened at the first request)."""
    views = Views(LiveIndex(index_dir))

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        message = "No such page." if status == 404 else "Something went wrong with that request."
        return views.problem(message, status)

    routes = [
        Route("/", views.search),
        Route("/api/search", views.api_search),
        Route("/export.{format:str}", views.export),
        Route("/passage/{key:path}", views.passage),
        Route("/document/{doc_id:path}", views.document),
        Route("/file/{doc_id:path}", views.file),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={404: not_found, 500: not_found})
