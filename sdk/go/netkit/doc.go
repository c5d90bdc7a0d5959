// Linux netkit devices (pairs, single devices, NIC RX queue leases) managed over SSH.
package netkit
