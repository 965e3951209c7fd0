#!/usr/bin/env python3
"""Generates a keepalived.conf with V virtual servers x R real servers, each with a TCP_CHECK.

Used by bench/conf_bench.sh to compare `vigil -t` with `keepalived -t` on the same file.
"""
import argparse
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vs", type=int, default=2000)
    ap.add_argument("--rs", type=int, default=20)
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    out = sys.stdout if a.output == "-" else open(a.output, "w")
    w = out.write
    w("global_defs {\n    router_id bench\n}\n\n")
    for v in range(a.vs):
        vip = f"10.{(v >> 8) & 255}.{v & 255}.1"
        w(f"virtual_server {vip} 80 {{\n    delay_loop 6\n    lb_algo wrr\n    lb_kind NAT\n"
          f"    persistence_timeout 50\n    protocol TCP\n\n")
        for r in range(a.rs):
            rip = f"172.{16 + (v >> 11)}.{(v >> 3) & 255}.{((v & 7) << 5) + r + 1}"
            w(f"    real_server {rip} 8080 {{\n        weight {1 + r % 5}\n"
              f"        TCP_CHECK {{\n            connect_timeout 3\n            connect_port 8080\n"
              f"        }}\n    }}\n")
        w("}\n\n")
    if out is not sys.stdout:
        out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
