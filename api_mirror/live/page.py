"""The live page's HTML: who is docked where now, and the notifications as they arrive.

One self-contained document (inline CSS and JavaScript, no asset from anywhere, a viewport for
phones). The docked list is rendered here, server-side, both in the page and as the fragment
the page fetches again after each notification, so one renderer draws it. The script opens
``EventSource('/events')`` (and opens it again, resuming after the last event seen, when an error
answer closed it), prepends each notification to the log and redraws the list; the
"for how long" cells tick every second from their ``data-since`` (Unix milliseconds). Below the
list, the history picture (``api_mirror.live.timeline``) is fetched again after each notification
and every minute. When the page opens, the latest notifications retained in the stream are shown
first (``/live/recent``) and the live feed resumes after the newest of them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Sequence
from html import escape

from models.ll2.formats import format_instant
from models.store.docked import Docked
from models.support.spans import human_span

EVENT_PATH = "/2.2.0/docking_event/{}/"
DOCKED_FRAGMENT_PATH = "/live/docked"
TIMELINE_FRAGMENT_PATH = "/live/timeline"
RECENT_PATH = "/live/recent"


def _row(item: Docked, now: dt.datetime) -> str:
    since = format_instant(item.since)
    millis = int(item.since.timestamp() * 1000)
    link = EVENT_PATH.format(item.event_id)
    duration = human_span((now - item.since).total_seconds())
    return (
        f'<tr data-event-id="{item.event_id}"><td>{escape(item.port)}</td>'
        f'<td><a href="{link}">{escape(item.vehicle)}</a></td>'
        f'<td><time datetime="{since}">{since.replace("T", " ").replace("Z", " UTC")}</time></td>'
        f'<td class="for" data-since="{millis}">{duration}</td></tr>'
    )


def render_docked(docked: Sequence[Docked], now: dt.datetime) -> str:
    """The docked list as an HTML fragment: a table per station, a row per port occupied."""
    if not docked:
        return '<p class="empty">Nothing is docked anywhere right now.</p>'
    parts = []
    for station, items in itertools.groupby(docked, key=lambda item: item.station):
        rows = "".join(_row(item, now) for item in items)
        parts.append(
            f'<section class="station"><h2>{escape(station)}</h2><table><thead><tr>'
            "<th>Port</th><th>Vehicle</th><th>Since</th><th>For</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></section>"
        )
    return "".join(parts)


def render_page(
    docked: Sequence[Docked], now: dt.datetime, types: Sequence[str], timeline: str = ""
) -> str:
    """The whole page; ``types`` are the notification types the script listens for, ``timeline``
    the history picture's fragment (``api_mirror.live.timeline``)."""
    return (
        PAGE.replace("{{docked}}", render_docked(docked, now))
        .replace("{{types}}", json.dumps(list(types)).replace("<", "\\u003c"))
        .replace("{{fragment}}", DOCKED_FRAGMENT_PATH)
        .replace("{{timeline_fragment}}", TIMELINE_FRAGMENT_PATH)
        .replace("{{recent}}", RECENT_PATH)
        .replace("{{timeline}}", timeline)
    )


PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dockwatch: docked now</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0 auto; max-width: 60rem; padding: 1rem; line-height: 1.4; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  h2 { font-size: 1.1rem; margin: 1.2rem 0 .4rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #8884; }
  th { font-weight: 600; font-size: .85rem; }
  #state { font-size: .85rem; opacity: .8; }
  #log { list-style: none; padding: 0; margin: 0; }
  #log li { padding: .4rem 0; border-bottom: 1px solid #8884; overflow-wrap: anywhere; }
  .kind { font-weight: 600; margin-right: .4rem; }
  .empty { opacity: .8; }
  .range { font-size: .85rem; margin: .2rem 0 .6rem; }
  .range a[aria-current] { font-weight: 600; text-decoration: none; }
  figure.timeline { margin: 0 0 1rem; }
  figcaption { font-weight: 600; margin-bottom: .2rem; }
  svg text { font-size: 12px; fill: currentColor; }
  .tick { stroke: #8886; }
  .tick-label { opacity: .7; }
  .port { font-weight: 600; }
  .stay rect { fill: #4a7fb5; }
  .stay.open rect { fill: #2e9d5b; }
  .stay text { fill: #fff; }
  @media (max-width: 36rem) {
    th:nth-child(3), td:nth-child(3) { display: none; }
    body { padding: .6rem; }
  }
</style>
</head>
<body>
<header>
  <h1>Docked now</h1>
  <div id="state">connecting to live notifications …</div>
</header>
<main>
  <div id="docked">{{docked}}</div>
  <h2>Who was docked where</h2>
  {{timeline}}
  <h2>Notifications</h2>
  <ul id="log"><li class="empty" id="quiet">None yet: they appear here as they arrive.</li></ul>
</main>
<script>
"use strict";
const TYPES = {{types}};
const LOG_SIZE = 50;
const state = document.getElementById("state");
const log = document.getElementById("log");

function span(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
  const m = Math.floor(s % 3600 / 60), r = s % 60;
  const two = (big, unit, small, smallUnit) =>
    big + " " + unit + (small ? " " + small + " " + smallUnit : "");
  if (d) return two(d, "d", h, "h");
  if (h) return two(h, "h", m, "min");
  return m ? two(m, "min", r, "s") : r + " s";
}

function tick() {
  for (const cell of document.querySelectorAll("[data-since]")) {
    cell.textContent = span(Date.now() - Number(cell.dataset.since));
  }
}

async function redraw() {
  try {
    const answer = await fetch("{{fragment}}", {cache: "no-store"});
    if (answer.ok) {
      document.getElementById("docked").innerHTML = await answer.text();
      tick();
    }
    await redrawTimeline();
  } catch (error) {
    state.textContent = "could not refresh the list: " + error;
  }
}

// The history picture, for the window the page shows; open stays grow to now on each redraw.
async function redrawTimeline() {
  const shown = document.getElementById("timeline");
  if (!shown) return;
  const days = encodeURIComponent(shown.dataset.days);
  const answer = await fetch("{{timeline_fragment}}?days=" + days, {cache: "no-store"});
  if (answer.ok) shown.outerHTML = await answer.text();
}

function note(entryId, ce) {
  const quiet = document.getElementById("quiet");
  if (quiet) quiet.remove();
  const event = (ce.data && ce.data.docking_event) || {};
  const flight = event.flight_vehicle || {};
  const craft = (flight.spacecraft && flight.spacecraft.name) || "event " + ce.subject;
  const port = event.docking_location && event.docking_location.name;
  const item = document.createElement("li");
  item.dataset.entryId = entryId;
  const kind = document.createElement("span");
  kind.className = "kind";
  kind.textContent = ce.type.replace("docking_event.", "");
  const link = document.createElement("a");
  link.href = "/2.2.0/docking_event/" + encodeURIComponent(ce.subject) + "/";
  link.textContent = craft + (port ? " at " + port : "");
  const when = document.createElement("time");
  when.dateTime = ce.time;
  when.textContent = " " + ce.time;
  item.append(kind, link, when);
  log.prepend(item);
  while (log.children.length > LOG_SIZE) log.lastElementChild.remove();
}

let lastId = "";

// EventSource reconnects by itself after a dropped connection, but not after an error answer
// (a 503 while Redis is down): then connect again later, resuming after the last event seen.
function connect() {
  const resume = lastId ? "?last_event_id=" + encodeURIComponent(lastId) : "";
  const feed = new EventSource("/events" + resume);
  feed.onopen = () => {
    state.textContent = "live: updates arrive without a reload";
    redraw();
  };
  feed.onerror = () => {
    state.textContent = "reconnecting to live notifications …";
    if (feed.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
  };
  for (const type of TYPES) {
    feed.addEventListener(type, (message) => {
      lastId = message.lastEventId;
      note(message.lastEventId, JSON.parse(message.data));
      redraw();
    });
  }
}

// The latest notifications retained in the stream first, then live ones resuming after them.
async function start() {
  try {
    const answer = await fetch("{{recent}}", {cache: "no-store"});
    if (answer.ok) {
      for (const entry of await answer.json()) {
        note(entry.id, entry.event);
        lastId = entry.id;
      }
      // Nothing retained yet: every later entry is new, so a reconnect replays from the start
      // (a reconnect without an id would resume at the stream's end and miss what came between).
      if (!lastId) lastId = "0";
    }
  } catch (error) {
    state.textContent = "could not read the latest notifications: " + error;
  }
  connect();
}

start();
setInterval(tick, 1000);
setInterval(() => redrawTimeline().catch(() => {}), 60000);
</script>
</body>
</html>
"""
