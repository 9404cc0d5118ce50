// Host object names of one fault-test run, derived from a 6-hex-digit tag: distinct from a real
// Tandem's (tandem0, 10.89.0.0/24, …) and from every other test's (tdmt…, 10.213.x, 10.231.x).

export interface FaultNames {
  bridge: string;
  subnet: string;
  nftTable: string;
  cgroupParent: string;
  netnsPrefix: string;
  vmNetwork: { name: string; bridge: string; prefix: string };
}

export function faultNames(tag: string): FaultNames {
  const octet = 100 + (parseInt(tag.slice(0, 2), 16) % 100);
  return {
    bridge: `tdf${tag}`,
    subnet: `10.232.${octet}.0/24`,
    nftTable: `tandem_f${tag}`,
    cgroupParent: `tandem-fault-${tag}`,
    netnsPrefix: `tdf${tag}-`,
    vmNetwork: { name: `tandem-fault-${tag}`, bridge: `tdfv${tag}`, prefix: `10.233.${octet}` },
  };
}
