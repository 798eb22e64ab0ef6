"""Generate the committed protobuf/gRPC modules and the Envoy descriptor set, or check them for drift.

Usage: python tools/protos.py [--check]

Inputs: protos/**/*.proto, the google/api + google/rpc protos shipped by googleapis-common-protos, and the
buf.validate descriptor embedded in the installed protovalidate wheel (its .proto source is not shipped,
so it is handed to protoc as a descriptor set). Outputs: libs/protos/{aigym,buf}/**/*_pb2*.py(i) and
gateway/aigym_gateway/descriptors.binpb. `--check` regenerates into a temporary tree and fails when the
committed files differ, listing each drifted file.
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import pathlib
import shutil
import sys
import tempfile

import google.api
import grpc_tools
import protovalidate
from google.protobuf import descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2
from grpc_tools import protoc

ROOT = pathlib.Path(__file__).resolve().parent.parent
PROTO_SRC = ROOT / "protos"
PY_OUT = ROOT / "libs" / "protos"
DESCRIPTOR_OUT = ROOT / "gateway" / "aigym_gateway" / "descriptors.binpb"
GENERATED_ROOTS = ("aigym", "buf")
# Extra files Envoy's transcoder must know so that `convert_grpc_status` can render rich error details.
ENVOY_EXTRA = ("google/rpc/error_details.proto", "google/rpc/status.proto")


def validate_descriptor_set() -> bytes:
    """Return a FileDescriptorSet holding buf/validate/validate.proto and its imports."""
    source = (pathlib.Path(protovalidate.__file__).parent / "_gen/buf/validate/validate_pb.py").read_text()
    start = source.index("_DESC = file_desc(")
    end = source.index("\ndef desc()", start)
    call = ast.parse(source[start:end]).body[0].value  # type: ignore[attr-defined]
    validate_file = descriptor_pb2.FileDescriptorProto.FromString(call.args[0].value)
    files = descriptor_pb2.FileDescriptorSet()
    for module in (descriptor_pb2, duration_pb2, field_mask_pb2, timestamp_pb2):
        proto = descriptor_pb2.FileDescriptorProto()
        module.DESCRIPTOR.CopyToProto(proto)
        files.file.append(proto)
    files.file.append(validate_file)
    return files.SerializeToString()


def run_protoc(args: list[str]) -> None:
    """Run grpcio-tools' bundled protoc; raise with its exit status on failure."""
    include_wkt = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    googleapis = pathlib.Path(google.api.__path__[0]).parent.parent
    full = ["protoc", f"-I{PROTO_SRC}", f"-I{googleapis}", f"-I{include_wkt}", *args]
    status = protoc.main(full)
    if status != 0:
        raise SystemExit(f"protoc failed ({status}): {' '.join(args)}")


def generate(py_out: pathlib.Path, descriptor_out: pathlib.Path, image_out: pathlib.Path | None) -> None:
    """Generate Python modules into py_out and the Envoy descriptor set into descriptor_out."""
    sources = sorted(str(p.relative_to(PROTO_SRC)) for p in PROTO_SRC.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        validate_set = pathlib.Path(tmp) / "validate.binpb"
        validate_set.write_bytes(validate_descriptor_set())
        common = [f"--descriptor_set_in={validate_set}"]
        run_protoc(
            [
                *common,
                f"--python_out={py_out}",
                f"--pyi_out={py_out}",
                f"--grpc_python_out={py_out}",
                *sources,
            ]
        )
        run_protoc([*common, f"--python_out={py_out}", f"--pyi_out={py_out}", "buf/validate/validate.proto"])
        run_protoc(
            [*common, "--include_imports", f"--descriptor_set_out={descriptor_out}", *sources, *ENVOY_EXTRA]
        )
        if image_out is not None:
            run_protoc(
                [
                    *common,
                    "--include_imports",
                    "--include_source_info",
                    f"--descriptor_set_out={image_out}",
                    *sources,
                ]
            )
    for root in GENERATED_ROOTS:
        for directory in [py_out / root, *(p for p in (py_out / root).rglob("*") if p.is_dir())]:
            (directory / "__init__.py").touch()


def generated_files(base: pathlib.Path) -> set[str]:
    """Relative paths of every generated file under base."""
    return {
        str(p.relative_to(base))
        for root in GENERATED_ROOTS
        if (base / root).exists()
        for p in (base / root).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def check() -> int:
    """Regenerate into a temporary tree and report every file that differs from the committed one."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = pathlib.Path(tmp) / "py"
        fresh.mkdir()
        fresh_descriptor = pathlib.Path(tmp) / "descriptors.binpb"
        generate(fresh, fresh_descriptor, None)
        expected, actual = generated_files(fresh), generated_files(PY_OUT)
        drift = sorted(expected ^ actual)
        drift += sorted(
            rel for rel in expected & actual if not filecmp.cmp(fresh / rel, PY_OUT / rel, shallow=False)
        )
        if not DESCRIPTOR_OUT.exists() or not filecmp.cmp(fresh_descriptor, DESCRIPTOR_OUT, shallow=False):
            drift.append(str(DESCRIPTOR_OUT.relative_to(ROOT)))
    if drift:
        print("generated code is out of date; run `make protos`. Drifted files:", file=sys.stderr)
        for rel in drift:
            print(f"  {rel}", file=sys.stderr)
        return 1
    print("generated code matches protos/")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="fail if committed generated code is stale")
    parser.add_argument("--image", type=pathlib.Path, help="also write a buf image (with source info) here")
    args = parser.parse_args()
    if args.check:
        return check()
    for root in GENERATED_ROOTS:
        shutil.rmtree(PY_OUT / root, ignore_errors=True)
    DESCRIPTOR_OUT.parent.mkdir(parents=True, exist_ok=True)
    generate(PY_OUT, DESCRIPTOR_OUT, args.image)
    print(f"generated {len(generated_files(PY_OUT))} files into {PY_OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
