#!/usr/bin/env python3
"""Writes the keyword sections of man/vigil.conf.5 from the parser's keyword tables.

The keyword tables (conf/schema_*.cpp) are the single source of which keywords exist, in
which block, and whether they are modelled, accepted-not-supported or deprecated aliases;
vigil_keywords (tools/gen_keywords.cpp) prints them as TSV. This script adds what the tables
do not carry (the argument syntax of each keyword and an introduction to each block) and
replaces everything between the lines

    .\\" BEGIN KEYWORDS
    .\\" END KEYWORDS

of the manual page. tests/unit/keywords_test.cpp fails when a modelled or deprecated keyword
is missing from the page, so run this after changing a keyword table:

    ninja -C build/dev vigil_keywords
    tools/gen_man_keywords.py --tool build/dev/tools/vigil_keywords

Options: --tool PATH (run it; default build/dev/tools/vigil_keywords), --tsv FILE (read its
output from a file, '-' for stdin), --man FILE (default man/vigil.conf.5), --check (exit 1,
changing nothing, when the page is not what this script would write).

Argument syntax below: <WORD> is a placeholder (italic), anything else is literal (bold),
and [ ] | { } ... are punctuation (roman).
"""

import argparse
import os
import re
import subprocess
import sys

BEGIN = '.\\" BEGIN KEYWORDS'
END = '.\\" END KEYWORDS'

BOOL = "[<BOOL>]"
SCRIPT = "<COMMAND> [<USER> [<GROUP>]]"
WEIGHT = "<N> [reverse]"

# Arguments of each keyword: "keyword" or "block/keyword" (the block-specific entry wins).
# A value is the syntax, or (syntax, note) where the note is appended to the summary.
ARGS = {
    # ---- the top level ----
    "the top level/global_defs": "{ ... }",
    "the top level/static_ipaddress": "{ <ADDRESS-LINE> ... }",
    "the top level/static_routes": "{ <ROUTE-LINE> ... }",
    "the top level/static_rules": "{ <RULE-LINE> ... }",
    "the top level/vrrp_script": "<NAME> { ... }",
    "the top level/track_file": "<NAME> { ... }",
    "the top level/vrrp_track_process": "<NAME> { ... }",
    "the top level/vrrp_sync_group": "<NAME> { ... }",
    "the top level/vrrp_instance": "<NAME> { ... }",
    "the top level/garp_group": "{ ... }",
    "the top level/virtual_server_group": "<NAME> { <ENTRY> ... }",
    "the top level/virtual_server": "<IP> <PORT> | fwmark <N> | group <NAME> { ... }",
    "the top level/bfd_instance": "<NAME> { ... }",
    "the top level/SSL": "{ ... }",
    "the top level/linkbeat_interfaces": "{ <INTERFACE> ... }",
    # ---- global_defs ----
    "router_id": "<NAME>",
    "notification_email": "{ <ADDRESS> ... }",
    "notification_email_from": "<ADDRESS>",
    "smtp_server": ("<HOST> [<PORT>]", "The port defaults to 25."),
    "smtp_helo_name": "<NAME>",
    "smtp_connect_timeout": ("<SECONDS>", "1 to 3600."),
    "smtp_alert": BOOL,
    "smtp_alert_vrrp": BOOL,
    "smtp_alert_checker": BOOL,
    "checker_log_all_failures": BOOL,
    "no_email_faults": BOOL,
    "default_interface": ("<INTERFACE>", "Also the interface of a vrrp_instance that names none."),
    "script_user": ("<USER> [<GROUP>]",
                    "Who runs every script (notify, vrrp_script, MISC_CHECK, notify_fifo_script) that "
                    "names no user of its own: its uid, the group (the user's primary group unless given) and "
                    "the user's supplementary groups, set in the child before exec. Names are resolved at start. "
                    "Without it scripts run as vigil's own user (keepalived would pick keepalived_script "
                    "when that user exists). A script whose user or group is unknown is not run (logged)."),
    "enable_script_security": (BOOL,
                               "A VRRP script (notify, vrrp_script, notify_fifo_script) that would run as root "
                               "is refused, with a warning, when it or a directory above it is owned by "
                               "another user, writable by a group other than root, or writable by anyone "
                               "(a sticky directory such as /tmp excepted). A refused vrrp_script is not tracked."),
    "umask": ("<OCTAL>", "Only the octal form is supported; the symbolic form is warned about and ignored."),
    "net_namespace": "<NAME>",
    "net_namespace_ipvs": "<NAME>",
    "namespace_with_ipsets": BOOL,
    "instance": "<NAME>",
    "use_pid_dir": BOOL,
    "linkbeat_use_polling": BOOL,
    "child_wait_time": ("<SECONDS>", "0 to 3600."),
    "process_names": BOOL,
    "process_name": "<NAME>",
    "vrrp_process_name": "<NAME>",
    "checker_process_name": "<NAME>",
    "bfd_process_name": "<NAME>",
    "tmp_config_directory": "<DIRECTORY>",
    "config_save_dir": "<DIRECTORY>",
    "startup_script": SCRIPT,
    "startup_script_timeout": ("<SECONDS>", "1 to 1000."),
    "shutdown_script": SCRIPT,
    "shutdown_script_timeout": ("<SECONDS>", "1 to 1000."),
    "notify_fifo": ("<PATH>",
                    "Created (mode 0644) when missing, and then removed when vigil stops; opened without "
                    "waiting for a reader. One line per change, as keepalived: "
                    "INSTANCE \"VI_1\" MASTER 100 (the effective priority; STOP when an instance stops), "
                    "GROUP \"G1\" BACKUP 0. A reader that falls behind loses lines (counted and logged); "
                    "VRRP never waits for it. vigil writes the VRRP lines only."),
    "notify_fifo_script": (SCRIPT,
                           "Started with the FIFO's name as its last argument, before the FIFO is opened; "
                           "sent SIGTERM when vigil stops."),
    "vrrp_notify_fifo": ("<PATH>", "As notify_fifo; the same path given for both gets each line once."),
    "vrrp_notify_fifo_script": (SCRIPT, "As notify_fifo_script."),
    "lvs_notify_fifo": "<PATH>",
    "lvs_notify_fifo_script": SCRIPT,
    "vrrp_mcast_group4": "<IPV4-ADDRESS>",
    "vrrp_mcast_group6": "<IPV6-ADDRESS>",
    "vrrp_garp_master_delay": ("<SECONDS>", "0 to 3600."),
    "vrrp_garp_master_repeat": ("<N>", "0 to 255."),
    "vrrp_garp_master_refresh": ("<SECONDS>", "0 to 86400."),
    "vrrp_garp_master_refresh_repeat": ("<N>", "0 to 255."),
    "vrrp_garp_lower_prio_delay": ("<SECONDS>", "0 to 3600."),
    "vrrp_garp_lower_prio_repeat": ("<N>", "0 to 255."),
    "vrrp_garp_interval": ("<SECONDS>", "0 to 1000, fractions allowed."),
    "vrrp_gna_interval": ("<SECONDS>", "0 to 1000, fractions allowed."),
    "vrrp_lower_prio_no_advert": BOOL,
    "vrrp_higher_prio_send_advert": BOOL,
    "vrrp_version": ("2|3", "Instances with IPv6 addresses use 3 regardless."),
    "vrrp_strict": BOOL,
    "vrrp_skip_check_adv_addr": BOOL,
    "vrrp_check_unicast_src": BOOL,
    "vrrp_priority": ("<NICE>", "-20 to 19."),
    "checker_priority": ("<NICE>", "-20 to 19."),
    "bfd_priority": ("<NICE>", "-20 to 19."),
    "vrrp_no_swap": BOOL,
    "checker_no_swap": BOOL,
    "bfd_no_swap": BOOL,
    "vrrp_startup_delay": ("<SECONDS>", "0 to 3600, fractions allowed."),
    "max_auto_priority": ("<N>", "-1 to 99."),
    "min_auto_priority_delay": ("<MICROSECONDS>", None),
    "dynamic_interfaces": BOOL,
    "vrrp_notify_priority_changes": BOOL,
    "log_unknown_vrids": BOOL,
    "vrrp_owner_ignore_adverts": BOOL,
    "fifo_write_vrrp_states_on_reload": BOOL,
    "vrrp_netlink_monitor_rcv_bufs": "<BYTES>",
    "vrrp_netlink_monitor_rcv_bufs_force": BOOL,
    "vrrp_netlink_cmd_rcv_bufs": "<BYTES>",
    "vrrp_netlink_cmd_rcv_bufs_force": BOOL,
    "lvs_netlink_monitor_rcv_bufs": "<BYTES>",
    "lvs_netlink_monitor_rcv_bufs_force": BOOL,
    "lvs_netlink_cmd_rcv_bufs": "<BYTES>",
    "lvs_netlink_cmd_rcv_bufs_force": BOOL,
    "process_monitor_rcv_bufs": "<BYTES>",
    "process_monitor_rcv_bufs_force": BOOL,
    "vrrp_rx_bufs_multiplier": ("<N>", "1 to 1000."),
    "lvs_sync_daemon": (
        "<INTERFACE> [<INSTANCE>] [inst <INSTANCE>] [id <N>] [maxlen <N>] [port <N>] [ttl <N>] [group <IP>]",
        "INSTANCE names a vrrp_instance whose state the daemon follows; the group must be multicast."),
    "lvs_timeouts": ("[tcp <SECONDS>] [tcpfin <SECONDS>] [udp <SECONDS>]", None),
    "lvs_flush": BOOL,
    "lvs_flush_onstop": BOOL,
    "enable_dbus": BOOL,
    "dbus_service_name": "<NAME>",
    "enable_traps": BOOL,
    "enable_snmp_vrrp": BOOL,
    "enable_snmp_checker": BOOL,
    "enable_snmp_rfc": BOOL,
    "enable_snmp_rfcv2": BOOL,
    "enable_snmp_rfcv3": BOOL,
    "snmp_socket": "<SOCKET>",
    "random_seed": "<N>",
    "vrrp_iptables": "<CHAIN> ...",
    "vrrp_ipsets": "<SET> ...",
    "nftables": "[<TABLE>]",
    "nftables_counters": BOOL,
    "nftables_ifindex": BOOL,
    "nftables_priority": "<N>",
    "vmac_prefix": "<PREFIX>",
    "vmac_addr_prefix": "<PREFIX>",
    "state_dump_file": "<PATH>",
    "stats_dump_file": "<PATH>",
    "json_dump_file": "<PATH>",
    # ---- vrrp_instance ----
    "state": "MASTER|BACKUP",
    "vrrp_instance/interface": "<INTERFACE>",
    "vrrp_instance/lvs_sync_daemon_interface": "<INTERFACE>",
    "virtual_router_id": ("<VRID>", "Required."),
    "priority": ("<N>", "The default is 100."),
    "advert_int": ("<SECONDS>", "VRRPv2: whole seconds, 1 to 255; VRRPv3: 0.01 to 40.95. The default is 1."),
    "version": "2|3",
    "nopreempt": BOOL,
    "preempt": BOOL,
    "preempt_delay": ("<SECONDS>", "0 to 1000, fractions allowed."),
    "accept": BOOL,
    "no_accept": BOOL,
    "dont_track_primary": BOOL,
    "skip_check_adv_addr": BOOL,
    "strict_mode": BOOL,
    "check_unicast_src": BOOL,
    "unicast_fault_no_peer": BOOL,
    "native_ipv6": BOOL,
    "lower_prio_no_advert": BOOL,
    "higher_prio_send_advert": BOOL,
    "notify_priority_changes": BOOL,
    "notify_master_rx_lower_pri": SCRIPT,
    "old_unicast_checksum": BOOL,
    "promote_secondaries": BOOL,
    "use_vmac": "[<NAME>]",
    "use_vmac_addr": BOOL,
    "vmac_xmit_base": BOOL,
    "use_ipvlan": "[<INTERFACE>] [<ADDRESS>] [bridge|private|vepa]",
    "garp_master_delay": ("<SECONDS>", "0 to 3600; the default is 5."),
    "garp_master_repeat": ("<N>", "0 to 255; the default is 5."),
    "garp_master_refresh": ("<SECONDS>", "0 to 86400."),
    "garp_master_refresh_repeat": ("<N>", "0 to 255."),
    "garp_lower_prio_delay": ("<SECONDS>", "0 to 3600."),
    "garp_lower_prio_repeat": ("<N>", "0 to 255."),
    "garp_interval": ("<SECONDS>", "0 to 1000, fractions allowed."),
    "gna_interval": ("<SECONDS>", "0 to 1000, fractions allowed."),
    "garp_extra_if": "[all] <SECONDS>",
    "unicast_ttl": ("<N>", "1 to 255."),
    "kernel_rx_buf_size": "<BYTES>",
    "down_timer_adverts": ("<N>", "1 to 100."),
    "vrf": "<NAME>",
    "mcast_src_ip": "<IP>",
    "unicast_src_ip": "<IP>",
    "mcast_dst_ip": "<IP>",
    "track_src_ip": BOOL,
    "authentication": "{ ... }",
    "unicast_peer": "{ <PEER-LINE> ... }",
    "virtual_ipaddress": "{ <ADDRESS-LINE> ... }",
    "virtual_ipaddress_excluded": "{ <ADDRESS-LINE> ... }",
    "virtual_routes": "{ <ROUTE-LINE> ... }",
    "virtual_rules": "{ <RULE-LINE> ... }",
    "track_interface": "{ <INTERFACE> [weight <N>] ... }",
    "track_script": "{ <NAME> [weight <N>] [reverse] ... }",
    "track_file": "{ <NAME> [weight <N>] [reverse] ... }",
    "track_process": "{ <NAME> [weight <N>] [reverse] ... }",
    "track_bfd": "{ <NAME> [weight <N>] [reverse] ... }",
    "notify_master": SCRIPT,
    "notify_backup": SCRIPT,
    "notify_fault": SCRIPT,
    "notify_stop": SCRIPT,
    "notify_deleted": SCRIPT,
    "notify": SCRIPT,
    # ---- authentication ----
    "auth_type": "NONE|PASS|AH",
    "auth_pass": "<PASSWORD>",
    # ---- vrrp_sync_group ----
    "group": "{ <INSTANCE> ... }",
    "global_tracking": BOOL,
    "sync_group_tracking_weight": BOOL,
    # ---- vrrp_script ----
    "script": ("<COMMAND> ...", "The rest of the line is the command, quoted or not."),
    "interval": ("<SECONDS>", "Fractions allowed."),
    "timeout": ("<SECONDS>", "Fractions allowed."),
    "weight": (WEIGHT, "-254 to 254."),
    "rise": "<N>",
    "fall": "<N>",
    "user": ("<USER> [<GROUP>]", "Runs the script as this user instead of script_user."),
    "init_fail": BOOL,
    # ---- track_file ----
    "file": "<PATH>",
    "init_file": "[<VALUE>] [overwrite]",
    # ---- vrrp_track_process ----
    "process": "<NAME>",
    "param_match": "initial|partial",
    "quorum_max": ("<N>", "1 to 65535."),
    "fork_delay": ("<SECONDS>", "Fractions allowed."),
    "terminate_delay": ("<SECONDS>", "Fractions allowed."),
    "delay": ("<SECONDS>", "Fractions allowed."),
    "full_command": BOOL,
    "vrrp_track_process/quorum": ("<N>", "1 to 65535."),
    # ---- garp_group ----
    "garp_group/interface": "<INTERFACE>",
    "interfaces": "{ <INTERFACE> ... }",
    # ---- virtual_server ----
    "delay_loop": ("<SECONDS>", "Fractions allowed."),
    "lvs_sched": ("<SCHEDULER>", "One of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos."),
    "lvs_method": (
        "NAT|DR|TUN [type ipip|gue|gre] [port <PORT>] [nocsum|csum|remcsum]",
        "Tunnel options are for TUN only; type gue needs a port."),
    "protocol": "TCP|UDP|SCTP",
    "persistence_timeout": ("<SECONDS>", "1 to 2678400."),
    "persistence_granularity": ("<NETMASK>|<PREFIX-LENGTH>", "A netmask for IPv4, a prefix length for IPv6."),
    "persistence_engine": "<NAME>",
    "virtual_server/quorum": "<WEIGHT>",
    "hysteresis": "<WEIGHT>",
    "quorum_up": SCRIPT,
    "quorum_down": SCRIPT,
    "sorry_server": ("<IP> [<PORT>]", "Of the family of the virtual server, unless the method is TUN."),
    "sorry_server_inhibit": BOOL,
    "sorry_server_lvs_method": "NAT|DR|TUN",
    "inhibit_on_failure": BOOL,
    "alpha": BOOL,
    "omega": BOOL,
    "ha_suspend": BOOL,
    "ops": BOOL,
    "virtualhost": "<HOST>",
    "retry": "<N>",
    "delay_before_retry": ("<SECONDS>", "Fractions allowed."),
    "warmup": ("<SECONDS>", "Fractions allowed."),
    "connect_timeout": ("<SECONDS>", "Fractions allowed."),
    "ip_family": "inet|inet6",
    "sh-port": BOOL,
    "sh-fallback": BOOL,
    "mh-port": BOOL,
    "mh-fallback": BOOL,
    "flag-1": BOOL,
    "flag-2": BOOL,
    "flag-3": BOOL,
    "real_server": "<IP> [<PORT>] [{ ... }]",
    # ---- real_server ----
    "real_server/weight": ("<N>", "0 to 65535."),
    "uthreshold": "<CONNECTIONS>",
    "lthreshold": "<CONNECTIONS>",
    "notify_up": SCRIPT,
    "notify_down": SCRIPT,
    "log_all_failures": BOOL,
    "TCP_CHECK": "{ ... }",
    "HTTP_GET": "{ ... }",
    "SSL_GET": "{ ... }",
    "MISC_CHECK": "{ ... }",
    "SMTP_CHECK": "{ ... }",
    "DNS_CHECK": "{ ... }",
    "UDP_CHECK": "{ ... }",
    "PING_CHECK": "{ ... }",
    "FILE_CHECK": "{ ... }",
    "BFD_CHECK": "{ ... }",
    # ---- checkers ----
    "connect_ip": "<IP>",
    "connect_port": "<PORT>",
    "bindto": "<IP>",
    "bind_port": "<PORT>",
    "bind_if": "<INTERFACE>",
    "fwmark": "<MARK>",
    "url": "{ ... }",
    "http_protocol": "<VERSION>",
    "enable_sni": BOOL,
    "sni_name": "<NAME>",
    "fast_recovery": BOOL,
    "tls_compliant": BOOL,
    "misc_path": SCRIPT,
    "misc_timeout": ("<SECONDS>", "Fractions allowed."),
    "misc_dynamic": BOOL,
    "helo_name": "<NAME>",
    "host": "{ ... }",
    "type": "A|NS|CNAME|SOA|MX|TXT|AAAA|PTR|SRV|ANY",
    "DNS_CHECK/name": "<NAME>",
    "payload": "<HEX>",
    "require_reply": BOOL,
    "min_reply_length": "<BYTES>",
    "max_reply_length": "<BYTES>",
    "FILE_CHECK/track_file": "<NAME>",
    "BFD_CHECK/name": "<NAME>",
    # ---- url ----
    "path": ("<PATH>", "Required."),
    "digest": "<MD5-HEX>",
    "status_code": ("<CODE>|<FIRST>-<LAST> ...", "Codes 100 to 599."),
    "regex": "<REGEX>",
    "regex_no_match": BOOL,
    "regex_options": "<OPTION> ...",
    "regex_stack": "<BYTES>",
    "regex_min_offset": "<BYTES>",
    "regex_max_offset": "<BYTES>",
    # ---- SSL ----
    "password": "<PASSWORD>",
    "ca": "<PATH>",
    "certificate": "<PATH>",
    "key": "<PATH>",
    # ---- bfd_instance ----
    "neighbor_ip": ("<IP>", "Required."),
    "source_ip": "<IP>",
    "min_rx": ("<MILLISECONDS>", "0 to 1000000, fractions to the microsecond; 0 asks the peer to send nothing."),
    "min_tx": ("<MILLISECONDS>", "0 to 1000000, fractions to the microsecond."),
    "idle_tx": ("<MILLISECONDS>", "0 to 1000000, fractions to the microsecond."),
    "multiplier": ("<N>", "1 to 255."),
    "passive": BOOL,
    "bfd_instance/vrrp": BOOL,
    "bfd_instance/checker": BOOL,
    "reload_time_file": "<PATH>",
    "reload_repeat": BOOL,
    "v3_checksum_as_v2": BOOL,
    "hashed": BOOL,
    "ttl": ("<N>", "1 to 255."),
    "hoplimit": ("<N>", "1 to 255."),
    "max_hops": ("<N>", "0 to 255."),
}

# The order of the sections, with the troff text that introduces each block. A block of the
# tables that is not listed here still gets a section, at the end.
CHECK_COMMON_NOTE = (
    "Unset timing values are inherited from the real server (see\n"
    ".BR INHERITANCE ).\n"
    "The checked address and port default to the real server's.\n")
CHECK_NOPORT_NOTE = (
    "Unset timing values are inherited from the real server (see\n"
    ".BR INHERITANCE ).\n"
    "The checked address defaults to the real server's.\n")

SECTIONS = [
    ("the top level", "The top level",
     "Statements outside any block.\n"
     "Besides the blocks, keepalived accepts a few process settings here as well as in\n"
     ".BR global_defs ;\n"
     "they set the same values.\n"),
    ("global_defs", "global_defs",
     ".B global_defs {\n.I ...\\&\n.B }\n.br\n"
     "Settings of the whole process, and defaults for the blocks that follow.\n"),
    ("vrrp_instance", "vrrp_instance",
     ".B vrrp_instance\n.I NAME\n.B {\n.I ...\\&\n.B }\n.br\n"
     "A VRRP virtual router on one interface.\n"
     ".B virtual_router_id\n"
     "is required, and so is\n"
     ".B interface\n"
     "unless\n"
     ".B global_defs default_interface\n"
     "is set.\n"
     "A VRID may be used once per interface and address family (instances with unicast peers\n"
     "excepted).\n"
     "The virtual addresses of an instance are of one family; IPv6 addresses imply VRRP version 3.\n"
     "An interface that does not exist on this host is a warning: the instance waits in FAULT\n"
     "until it appears.\n"),
    ("authentication", "authentication",
     ".B authentication {\n.I ...\\&\n.B }\n"
     "inside a\n.BR vrrp_instance .\n.br\n"
     "VRRPv2 only: with version 3 the block is ignored with a warning.\n"
     ".B auth_type PASS\n"
     "needs an\n.BR auth_pass ;\n"
     ".B AH\n"
     "is accepted with a warning and adverts are sent without authentication.\n"),
    ("vrrp_sync_group", "vrrp_sync_group",
     ".B vrrp_sync_group\n.I NAME\n.B {\n.I ...\\&\n.B }\n.br\n"
     "VRRP instances that change state together.\n"
     "Each member named in\n.B group\n"
     "must be a defined vrrp_instance, and an instance may belong to one group only.\n"
     "Weights in the tracking lists of members are ignored, with a warning, unless\n"
     ".B sync_group_tracking_weight\n"
     "is set.\n"),
    ("vrrp_script", "vrrp_script",
     ".B vrrp_script\n.I NAME\n.B {\n.I ...\\&\n.B }\n.br\n"
     "A command run periodically and tracked by\n.BR track_script .\n"
     "A vrrp_script without\n.B script\n"
     "is ignored with a warning.\n"),
    ("track_file", "track_file",
     ".B track_file\n.I NAME\n.B {\n.I ...\\&\n.B }\n"
     "(formerly\n.BR vrrp_track_file )\n.br\n"
     "A file holding a number that changes the priority of the instances tracking it.\n"
     ".B file\n"
     "is required.\n"),
    ("vrrp_track_process", "vrrp_track_process",
     ".B vrrp_track_process\n.I NAME\n.B {\n.I ...\\&\n.B }\n.br\n"
     "A process whose presence is tracked by\n.BR track_process .\n"
     ".B process\n"
     "is required.\n"),
    ("garp_group", "garp_group",
     ".B garp_group {\n.I ...\\&\n.B }\n.br\n"
     "Limits on the rate of gratuitous ARPs and unsolicited neighbour advertisements sent on\n"
     "some interfaces.\n"),
    ("virtual_server_group", "virtual_server_group",
     ".B virtual_server_group\n.I NAME\n.B {\n.I ENTRY\n.I ...\\&\n.B }\n.br\n"
     "Services that share one set of real servers, used by\n"
     ".B virtual_server group\n.IR NAME .\n"
     "Each line of the block is one entry:\n"
     ".TP\n"
     ".I IP PORT\n"
     "One address and port.\n"
     ".TP\n"
     ".IB IP \\- LAST \" \" PORT\n"
     "A range of addresses: the last part of the address runs from its value to\n"
     ".IR LAST ,\n"
     "both included (the last byte in decimal for IPv4, e.g.\n"
     ".BR \"192.168.200.1\\-10 80\" ;\n"
     "the last 16\\-bit group in hexadecimal for IPv6).\n"
     ".I LAST\n"
     "may not be below the start.\n"
     ".TP\n"
     ".BI fwmark \" N\"\n"
     "A firewall mark, 1 to 4294967295.\n"
     ".PP\n"
     "The addresses of a group are of one family.\n"
     "A group must be defined to be referred to.\n"),
    ("virtual_server", "virtual_server",
     ".B virtual_server\n.I IP PORT\n.B {\n.I ...\\&\n.B }\n.br\n"
     ".B virtual_server fwmark\n.I N\n.B {\n.I ...\\&\n.B }\n.br\n"
     ".B virtual_server group\n.I NAME\n.B {\n.I ...\\&\n.B }\n.br\n"
     "An IPVS service: an address and port, a firewall mark (1 to 4294967295), or a\n"
     ".BR virtual_server_group .\n"
     "A service may be defined once (per protocol).\n"
     "Real servers and the sorry server must be of the service's address family, unless they\n"
     "are reached through TUN.\n"
     "A fwmark service takes its family from\n"
     ".BR ip_family .\n"
     "Values this block sets are inherited by its real servers and their checkers (see\n"
     ".BR INHERITANCE ).\n"),
    ("real_server", "real_server",
     ".B real_server\n.I IP\n.RI [ PORT ]\n.RB [ {\n.I ...\\&\n.BR } ]\n"
     "inside a\n.BR virtual_server .\n.br\n"
     "A real server; the port defaults to the virtual server's, and the block may be left out.\n"
     "The same address and port may appear once in a virtual server.\n"
     "With DR the port cannot differ from the virtual server's (a warning).\n"),
    ("TCP_CHECK", "TCP_CHECK",
     ".B TCP_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Up when a TCP connection to the server succeeds.\n" + CHECK_COMMON_NOTE),
    ("HTTP_GET", "HTTP_GET",
     ".B HTTP_GET {\n.I ...\\&\n.B }\n.br\n"
     "Up when every\n.B url\nanswers as expected.\n"
     "At least one\n.B url\nblock is required.\n" + CHECK_COMMON_NOTE),
    ("SSL_GET", "SSL_GET",
     ".B SSL_GET {\n.I ...\\&\n.B }\n.br\n"
     "As\n.BR HTTP_GET ,\n"
     "over TLS; client settings come from the top\\-level\n.B SSL\nblock.\n" + CHECK_COMMON_NOTE),
    ("MISC_CHECK", "MISC_CHECK",
     ".B MISC_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Up when a command exits with status 0.\n"
     ".B misc_path\nis required; retry defaults to 0.\n" + CHECK_NOPORT_NOTE),
    ("SMTP_CHECK", "SMTP_CHECK",
     ".B SMTP_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Up when an SMTP server greets and answers HELO; further servers may be listed in\n"
     ".B host\nblocks.\n" + CHECK_COMMON_NOTE),
    ("DNS_CHECK", "DNS_CHECK",
     ".B DNS_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Up when the server answers a DNS query.\n" + CHECK_COMMON_NOTE),
    ("UDP_CHECK", "UDP_CHECK",
     ".B UDP_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Up when a UDP datagram gets no ICMP error (or, with\n.BR require_reply ,\n"
     "a fitting reply).\n" + CHECK_COMMON_NOTE),
    ("PING_CHECK", "PING_CHECK",
     ".B PING_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Up when the server answers ICMP echo requests.\n" + CHECK_NOPORT_NOTE),
    ("FILE_CHECK", "FILE_CHECK",
     ".B FILE_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Follows a\n.BR track_file ,\n"
     "which must be defined; nothing is inherited.\n"),
    ("BFD_CHECK", "BFD_CHECK",
     ".B BFD_CHECK {\n.I ...\\&\n.B }\n.br\n"
     "Follows a\n.BR bfd_instance ,\n"
     "which must be defined; nothing is inherited.\n"),
    ("url", "url",
     ".B url {\n.I ...\\&\n.B }\n"
     "inside\n.B HTTP_GET\nor\n.BR SSL_GET .\n.br\n"
     "One request and what its answer must be.\n"
     ".B path\nis required.\n"),
    ("host", "host",
     ".B host {\n.I ...\\&\n.B }\n"
     "inside\n.BR SMTP_CHECK .\n.br\n"
     "A further SMTP server to check, with the connection keywords of the checkers.\n"),
    ("SSL", "SSL",
     ".B SSL {\n.I ...\\&\n.B }\n.br\n"
     "TLS client settings of\n.BR SSL_GET .\n"),
    ("bfd_instance", "bfd_instance",
     ".B bfd_instance\n.I NAME\n.B {\n.I ...\\&\n.B }\n.br\n"
     "A BFD session, tracked by\n.B track_bfd\nand\n.BR BFD_CHECK .\n"),
]


def troff_text(s):
    """Escapes prose for troff."""
    s = s.replace("\\", "\\e")
    if s.startswith(".") or s.startswith("'"):
        s = "\\&" + s
    return s


def literal(s):
    """A literal word: backslashes and minus signs escaped."""
    return s.replace("\\", "\\e").replace("-", "\\-")


def render_args(spec):
    out = []
    for tok in re.findall(r"\s+|<[^>]+>|\.\.\.|[\[\]|{}]|[^\s\[\]|{}<>]+", spec):
        if tok.isspace():
            out.append(" ")
        elif tok.startswith("<"):
            out.append("\\fI" + literal(tok[1:-1]) + "\\fR")
        elif tok in ("[", "]", "|", "{", "}", "..."):
            out.append(tok)
        else:
            out.append("\\fB" + literal(tok) + "\\fR")
    return "".join(out)


def lookup(block, keyword):
    v = ARGS.get(block + "/" + keyword, ARGS.get(keyword))
    if v is None:
        return None, None
    return (v, None) if isinstance(v, str) else v


def sentence(s):
    s = s.strip()
    if not s:
        return s
    first = s.split(" ", 1)[0]
    # Not an identifier such as vrrp_scripts, inet or sh.
    if re.fullmatch(r"[a-z][a-z-]*[:,]?", first) and first not in ("inet", "sh", "mh", "ms"):
        s = s[0].upper() + s[1:]
    return s if s.endswith(".") else s + "."


def render_keyword(block, kw, support, summary, missing):
    lines = [".TP"]
    if support == "accepted":
        lines.append("\\fB" + literal(kw) + "\\fR \\fI...\\fR")
        text = (sentence(summary) + " " if summary else "") + (
            "Accepted, not supported yet (skipped with a warning).")
        lines.append(troff_text(text))
        return lines
    # A deprecated keyword's summary names what it is an alias of; its own syntax, when
    # listed, wins over the alias's.
    args, note = lookup(block, kw)
    if args is None and support == "deprecated":
        args, note = lookup(block, summary)
    if args is None:
        missing.append(block + "/" + kw)
        args = ""
    head = "\\fB" + literal(kw) + "\\fR"
    if args:
        head += " " + render_args(args)
    lines.append(head)
    if support == "deprecated":
        lines.append("Deprecated alias of")
        lines.append(".BR " + literal(summary) + " ;")
        lines.append("the same arguments and meaning.")
        return lines
    if summary:
        lines.append(troff_text(sentence(summary)))
    if note:  # one sentence a line, so that troff spaces sentences
        lines.extend(troff_text(n) for n in re.split(r"(?<=\.) (?=[A-Z])", note))
    return lines


def generate(rows):
    by_block = {}
    order = []
    for block, kw, support, summary in rows:
        if block not in by_block:
            by_block[block] = []
            order.append(block)
        by_block[block].append((kw, support, summary))
    missing = []
    out = [BEGIN,
           '.\\" Generated by tools/gen_man_keywords.py from the parser\'s keyword tables;',
           '.\\" edit those (and the script), not this part of the page.',
           ".SH KEYWORDS",
           "Each block below lists every keyword it accepts, in the order of the parser's",
           "tables.",
           "Keywords marked",
           ".I accepted, not supported yet",
           "are parsed and ignored with a warning; deprecated aliases set the same value as",
           "their new name.",
           "Unknown keywords are warnings."]
    listed = set()
    sections = list(SECTIONS) + [(b, b, "") for b in order if b not in {s[0] for s in SECTIONS}]
    for block, title, intro in sections:
        listed.add(block)
        out.append('.SS "' + title + '"')
        if intro:
            out.extend(intro.rstrip("\n").split("\n"))
        kws = by_block.get(block, [])
        if kws:
            out.append(".PP")
            out.append("Keywords:")
        for kw, support, summary in kws:
            out.extend(render_keyword(block, kw, support, summary, missing))
    out.append(END)
    return out, missing


def read_rows(args):
    if args.tsv:
        text = sys.stdin.read() if args.tsv == "-" else open(args.tsv, encoding="utf-8").read()
    else:
        text = subprocess.run([args.tool], check=True, capture_output=True, text=True).stdout
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line:
            continue
        parts = line.split("\t")
        if len(parts) != 4:
            sys.exit(f"line {n} of the keyword table has {len(parts)} fields, not 4: {line!r}")
        rows.append(tuple(parts))
    if not rows:
        sys.exit("the keyword table is empty")
    return rows


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tool", default=os.path.join(root, "build/dev/tools/vigil_keywords"))
    ap.add_argument("--tsv")
    ap.add_argument("--man", default=os.path.join(root, "man/vigil.conf.5"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()

    rows = read_rows(args)
    generated, missing = generate(rows)
    with open(args.man, encoding="utf-8") as f:
        page = f.read().split("\n")
    try:
        b = page.index(BEGIN)
        e = page.index(END)
    except ValueError:
        sys.exit(f"{args.man} lacks the marker lines {BEGIN!r} and {END!r}")
    if e < b:
        sys.exit(f"{args.man}: {END!r} comes before {BEGIN!r}")
    new = page[:b] + generated + page[e + 1:]
    for m in missing:
        print(f"gen_man_keywords: no argument syntax for {m}; add it to ARGS", file=sys.stderr)
    if args.check:
        if new != page:
            print(f"{args.man} is out of date; run tools/gen_man_keywords.py", file=sys.stderr)
            return 1
        return 1 if missing else 0
    if new != page:
        with open(args.man, "w", encoding="utf-8") as f:
            f.write("\n".join(new))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
