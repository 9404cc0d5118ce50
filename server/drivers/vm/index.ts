// VM drivers. Today: libvirt (QEMU/KVM, or TCG without hardware virtualisation).
export * from "./libvirt/index";
