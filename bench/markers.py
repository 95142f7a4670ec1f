"""Markers against the demo truth, one command:

    DATABASE_URL=postgis://.../cbmweb_bench .venv/bin/python bench/markers.py \
        --archive /tmp/a0 --archive /tmp/a1 ... [--calibrate]

Each archive is the demo generator's (COG layout), with its truth.json (demo/generator/
events.py); one built with `manage.py make_demo_archive DIR --layout cog --seed N`. Seed 0
is the demo's world (the detector was developed looking at it); other seeds are worlds it
never saw. Per world, in a database of its own making (scenes and datasets are replaced:
the worlds share product ids): ingest, import the parcels, load markers/rules/demo.json,
extract_signatures, then extract_markers from the filled store (timed: parcel-seasons per
second on this one process), and the results scored against the truth:

- events matched one to one by date distance (markers_eval.match), precision, recall and
  F1 at +-3, +-6 and +-10 days and the date MAE of the pairs, per event type, S2 only and
  S1+S2 (the second where the store has Sentinel-1 rows, read through markers.s1_input);
- the traffic-light confusion matrix (expected from the truth: red when the field was
  drawn to break a rule, else green; yellow is the detector abstaining);
- the reliability table: per confidence bin, the share of events that were true (+-6 d);
- --calibrate: per event kind, the raw-score bins to paste into calibration.py (fitted on
  the worlds given: give the demo's seed 0 only, then measure on the others).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import setup_django  # noqa: E402


def load_world(archive: Path) -> Any:
    from django.core.management import call_command

    from chips.catalogue.sar_models import SarScene
    from chips.models import Scene
    from parcels.models import ParcelDataset

    manifest = json.loads((archive / "demo.json").read_text())
    Scene.objects.all().delete()
    ParcelDataset.objects.filter(aoi=manifest["aoi"], year=manifest["year"]).delete()
    quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
    call_command("ingest_stac", str(archive / "cog"), **quiet)
    SarScene.objects.all().delete()
    if (archive / "s1").is_dir():
        call_command("ingest_s1", str(archive / "s1"), **quiet)
    call_command("import_parcels", str(archive / manifest["parcels"]), aoi=manifest["aoi"],
                 year=manifest["year"], pid_field="pid", crop_name_field="crop_name",
                 crop_code_field="crop_code", layer=manifest["parcels_layer"], **quiet)  # fmt: skip
    dataset = ParcelDataset.objects.get(aoi=manifest["aoi"], year=manifest["year"], ptype="")
    call_command("load_marker_rules", str(ROOT / "markers" / "rules" / "demo.json"),
                 aoi=dataset.aoi, year=dataset.year, **quiet)  # fmt: skip
    began = time.perf_counter()
    call_command("extract_signatures", aoi=dataset.aoi, year=dataset.year, **quiet)
    if SarScene.objects.exists():  # the S1 rows the fused figures read
        for tstype in ("bs", "c6"):
            call_command("extract_signatures", aoi=dataset.aoi, year=dataset.year,
                         tstype=tstype, **quiet)  # fmt: skip
    print(f"  signatures: {time.perf_counter() - began:.1f} s", flush=True)
    return dataset


def run_markers(dataset: Any, rounds: int) -> dict[str, float]:
    """extract_markers --force --no-signatures `rounds` times, timed (wall and this
    process's CPU; PostgreSQL's is the difference to wall on an idle machine)."""
    from markers import bulk

    wall, cpu = time.perf_counter(), time.process_time()
    parcels = 0
    for _ in range(rounds):
        parcels += bulk.extract(dataset, batch=500, force=True, signatures=False).computed
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"parcels": parcels, "wall": wall, "cpu": cpu}


def loaded(archive: Path) -> Any:
    """The world already in the bench database (--reuse), or None."""
    from chips.signatures.models import SignatureExtraction
    from parcels.models import ParcelDataset

    manifest = json.loads((archive / "demo.json").read_text())
    dataset = ParcelDataset.objects.filter(aoi=manifest["aoi"], year=manifest["year"]).first()
    if dataset is None or not SignatureExtraction.objects.filter(dataset=dataset).exists():
        return None
    return dataset


def detector_only(dataset: Any) -> dict[str, float]:
    """The detector and lights alone on series already in memory (no database)."""
    from markers import services, store
    from markers.rules import rulebook
    from parcels.models import Parcel

    crops = dict(Parcel.objects.filter(dataset=dataset).values_list("pk", "crop_code"))
    series = store.batch_series(list(crops), store.season_scenes(dataset.year))
    book = rulebook(dataset)
    rounds = 20
    began = time.process_time()
    for _ in range(rounds):
        for pk, s in series.items():
            services.assess(s, crops[pk], dataset.year, book)
    return {"parcels": rounds * len(series), "cpu": time.process_time() - began}


def collect(dataset: Any) -> dict[str, tuple[list[Any], dict[str, str], list[Any]]]:
    """Per variant ("S2": Sentinel-2 alone; "S1+S2": fused, where the store has S1 rows):
    detected events, lights, and the same events with their raw scores, all from the
    detector run here on the store's series (the extract_markers run above recorded the
    fused ones: the same code path)."""
    from bench.markers_eval import Detected
    from markers import s1_input, services, store
    from markers.rules import rulebook
    from parcels.models import Parcel

    rows = Parcel.objects.filter(dataset=dataset).values_list("pk", "pid", "crop_code")
    parcels = {pk: (pid, crop) for pk, pid, crop in rows}
    series = store.batch_series(list(parcels), store.season_scenes(dataset.year))
    s1 = s1_input.read_parcels(list(parcels), *store.season_window(dataset.year))
    book = rulebook(dataset)
    variants: dict[str, tuple[list[Any], dict[str, str], list[Any]]] = {}
    with_s1 = any(s1.values())
    for name in ("S2", "S1+S2") if with_s1 else ("S2",):
        found, lights = [], {}
        for pk, s in series.items():
            pid, crop = parcels[pk]
            a = services.assess(s, crop, dataset.year, book, s1[pk] if name == "S1+S2" else ())
            found += [Detected(pid, e.kind, e.main, e.score, e.confidence) for e in a.events]
            lights[pid] = a.light.light
        variants[name] = (found, lights, found)
    return variants


def report(
    truths: list[dict[str, Any]], worlds: list[tuple[list, dict, list]], variant: str
) -> None:
    from bench import markers_eval as me

    truth: dict[str, Any] = {"parcels": {}}
    found: list[Any] = []
    raw: list[Any] = []
    lights: dict[str, str] = {}
    for i, (t, (f, li, r)) in enumerate(zip(truths, worlds, strict=True)):
        # One namespace of parcel ids across worlds.
        truth["parcels"].update({f"w{i}:{p}": v for p, v in t["parcels"].items()})
        found += [me.Detected(f"w{i}:{d.pid}", d.kind, d.day, d.score, d.confidence) for d in f]
        raw += [me.Detected(f"w{i}:{d.pid}", d.kind, d.day, d.score, d.confidence) for d in r]
        lights.update({f"w{i}:{p}": v for p, v in li.items()})
    pids = set(truth["parcels"])
    print(f"\n{len(pids)} parcel-seasons, {variant}")
    print("| event | true | found | P/R/F1 +-3 d | P/R/F1 +-6 d | P/R/F1 +-10 d | MAE (d, +-10) |")
    print("|---|---|---|---|---|---|---|")
    for kind, row in me.scores(truth, found, pids).items():
        cells = [f"{v['precision']:.2f}/{v['recall']:.2f}/{v['f1']:.2f}" for v in row.values()]
        w = row["+-10"]
        print(f"| {kind} | {w['true']} | {w['found']} | {' | '.join(cells)} | {w['mae']:.1f} |")
    harvest = me.scores(truth, found, pids)["harvest"]["+-10"]
    print(f"harvest within 10 days: {harvest['tp']}/{harvest['true']} "
          f"({100 * harvest['tp'] / max(harvest['true'], 1):.0f} %)")  # fmt: skip
    matrix = me.confusion(truth, lights)
    print("\n| expected \\ given | green | yellow | red |\n|---|---|---|---|")
    for exp in ("green", "red"):
        print(
            f"| {exp} | "
            + " | ".join(str(matrix[exp, g]) for g in ("green", "yellow", "red"))
            + " |"
        )
    decided = sum(n for (e, g), n in matrix.items() if g != "yellow")
    right = sum(n for (e, g), n in matrix.items() if e == g)
    total = sum(matrix.values())
    print(f"right: {right}/{total} ({100 * right / max(total, 1):.1f} %), of the decided "
          f"{right}/{decided}; red for a compliant parcel: {matrix['green', 'red']}")  # fmt: skip
    print("\n| confidence | events | share true (+-6 d) |\n|---|---|---|")
    for lo, hi, n, share in me.reliability(truth, found, pids):
        if n:
            print(f"| {lo:.1f}-{hi:.1f} | {n} | {share:.2f} |")
    return_bins = me.per_kind_bins(truth, raw, pids)
    print("\nraw-score bins per kind (centre: events, share true):")
    for kind, bins in return_bins.items():
        print(f"  {kind}: " + ", ".join(f"{c:.1f}: {n} {s:.2f}" for c, n, s in bins if n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, action="append", required=True)
    parser.add_argument("--calibrate", action="store_true", help="print the raw-score bins")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="one archive: use the world already loaded in the database",
    )
    parser.add_argument("--rounds", type=int, default=10, help="extract_markers runs timed")
    args = parser.parse_args()
    work = Path("/tmp/cbmweb-bench-markers")
    work.mkdir(exist_ok=True)
    setup_django(work)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    truths, worlds = [], []
    rates = []
    for archive in args.archive:
        print(f"{archive}:", flush=True)
        dataset = (loaded(archive) if args.reuse else None) or load_world(archive)
        timing = run_markers(dataset, args.rounds)
        alone = detector_only(dataset)
        rates.append((timing, alone))
        print(f"  extract_markers from the store: {timing['parcels']} parcel-seasons in "
              f"{timing['wall']:.2f} s wall, {timing['cpu']:.2f} s CPU of this process: "
              f"{timing['parcels'] / timing['wall']:.0f}/s wall, "
              f"{timing['parcels'] / timing['cpu']:.0f}/s per CPU-second; detector and "
              f"lights alone {alone['parcels'] / alone['cpu']:.0f}/s per CPU-second",
              flush=True)  # fmt: skip
        truths.append(json.loads((archive / "truth.json").read_text()))
        worlds.append(collect(dataset))
    for variant in ("S2", "S1+S2"):
        if all(variant in w for w in worlds):
            report(truths, [w[variant] for w in worlds], variant)
        else:
            print(f"\n{variant}: no Sentinel-1 observations in the store (markers.s1_input)")


if __name__ == "__main__":
    main()
