module netkit-go-pod-queues

go 1.25

require (
	github.com/pulumi-netkit/pulumi-netkit/sdk/go v0.1.0
	github.com/pulumi/pulumi/sdk/v3 v3.259.0
)
