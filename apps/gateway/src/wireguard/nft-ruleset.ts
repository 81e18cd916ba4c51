import type { DeviceGrant } from './device-access';

/** The nftables table the gateway owns for one WireGuard interface (nothing else touches it). */
export const tableName = (ifname: string) => `rustronaut_${ifname.replace(/[^A-Za-z0-9_]/g, '_')}`;

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const CIDR4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/**
 * The whole table as one `nft -f` script: declared, deleted and declared again in one transaction,
 * so the old rules are replaced atomically (a packet sees the old set or the new one, never none).
 *
 * - From the interface, a packet passes only when (device address, destination, port) is in the
 *   grant set of its protocol: one set lookup per packet, whatever the number of devices; ICMP
 *   echo only to a host the device has some grant on. Anything else from a device is dropped —
 *   also established flows, so a revoked grant stops a running connection at its next packet.
 * - Towards the interface, only answers (established/related) pass: nothing in the site opens a
 *   connection to a device.
 * - The gateway itself answers pings on its VPN address; nothing else of it is reachable over the VPN.
 * - Devices' packets leave the gateway masqueraded, so targets answer without a route to the VPN.
 */
export function renderRuleset(
  ifname: string,
  subnets: readonly string[],
  grants: readonly DeviceGrant[],
): string {
  if (!IFNAME.test(ifname)) throw new Error(`interface name ${JSON.stringify(ifname)} is not valid`);
  const v4Subnets = subnets.filter((s) => CIDR4.test(s));
  const table = tableName(ifname);
  const elements = (protocol: 'tcp' | 'udp') =>
    grants
      .filter(
        (g) =>
          g.protocol === protocol &&
          IPV4.test(g.device) &&
          IPV4.test(g.address) &&
          Number.isInteger(g.port) &&
          g.port > 0 &&
          g.port < 65536,
      )
      .map((g) => `${g.device} . ${g.address} . ${g.port}`);
  const hosts = [
    ...new Set(
      grants
        .filter((g) => IPV4.test(g.device) && IPV4.test(g.address))
        .map((g) => `${g.device} . ${g.address}`),
    ),
  ];
  const set = (name: string, type: string, items: string[]) => [
    `  set ${name} {`,
    `    type ${type}`,
    ...(items.length ? [`    elements = { ${items.join(',\n      ')} }`] : []),
    '  }',
  ];
  const q = `"${ifname}"`;
  return [
    `table inet ${table}`,
    `delete table inet ${table}`,
    `table inet ${table} {`,
    ...set('grants_tcp', 'ipv4_addr . ipv4_addr . inet_service', elements('tcp')),
    ...set('grants_udp', 'ipv4_addr . ipv4_addr . inet_service', elements('udp')),
    ...set('grants_ping', 'ipv4_addr . ipv4_addr', hosts),
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    iifname ${q} meta l4proto tcp ip saddr . ip daddr . tcp dport @grants_tcp accept`,
    `    iifname ${q} meta l4proto udp ip saddr . ip daddr . udp dport @grants_udp accept`,
    `    iifname ${q} icmp type echo-request ip saddr . ip daddr @grants_ping accept`,
    `    iifname ${q} counter drop`,
    `    oifname ${q} ct state established,related accept`,
    `    oifname ${q} counter drop`,
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    `    iifname ${q} ct state established,related accept`,
    `    iifname ${q} icmp type echo-request accept`,
    `    iifname ${q} counter drop`,
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    ...v4Subnets.map((s) => `    ip saddr ${s} oifname != ${q} masquerade`),
    '  }',
    '}',
    '',
  ].join('\n');
}

/** Removes the table (the gateway stops or gives up WireGuard). */
export const deleteRuleset = (ifname: string) =>
  `table inet ${tableName(ifname)}\ndelete table inet ${tableName(ifname)}\n`;
