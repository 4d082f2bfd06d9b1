//! Test fixtures: nodes and pods shaped like `kubectl get … -o yaml` output.

/// Bare-metal / passthrough HGX H100 node, 8 GPUs, GPU Operator in container mode.
pub(crate) const NODE_H100_HGX: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: dgx-h100-01
  labels:
    kubernetes.io/hostname: dgx-h100-01
    kubernetes.io/os: linux
    feature.node.kubernetes.io/pci-10de.present: "true"
    nvidia.com/gpu.present: "true"
    nvidia.com/gpu.deploy.operands: "true"
    nvidia.com/gpu.deploy.device-plugin: "true"
    nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3
    nvidia.com/gpu.count: "8"
    nvidia.com/gpu.memory: "81559"
    nvidia.com/gpu.family: hopper
    nvidia.com/gpu.compute.major: "9"
    nvidia.com/gpu.compute.minor: "0"
    nvidia.com/gpu.machine: NVIDIA-DGX-H100
    nvidia.com/gpu.replicas: "1"
    nvidia.com/gpu.sharing-strategy: none
    nvidia.com/gpu.mode: compute
    nvidia.com/cuda.driver-version.full: 550.107.02
    nvidia.com/cuda.runtime-version.full: "12.5"
    nvidia.com/mig.capable: "true"
    nvidia.com/mig.strategy: none
    nvidia.com/mps.capable: "false"
    nvidia.com/vgpu.present: "false"
spec:
  taints:
  - effect: NoSchedule
    key: nvidia.com/gpu
    value: present
status:
  allocatable:
    cpu: "224"
    memory: 2113602340Ki
    nvidia.com/gpu: "8"
    pods: "110"
  capacity:
    cpu: "224"
    memory: 2113704740Ki
    nvidia.com/gpu: "8"
    pods: "110"
  conditions:
  - lastHeartbeatTime: "2025-01-10T10:00:00Z"
    lastTransitionTime: "2025-01-01T10:00:00Z"
    message: kubelet is posting ready status
    reason: KubeletReady
    status: "True"
    type: Ready
  - lastHeartbeatTime: "2025-01-10T10:00:00Z"
    lastTransitionTime: "2025-01-01T10:00:00Z"
    message: kubelet has sufficient memory available
    reason: KubeletHasSufficientMemory
    status: "False"
    type: MemoryPressure
"#;

/// VKS worker VM with 4 × `H100XM-80C` vGPUs (full framebuffer, NVSwitch host).
pub(crate) const NODE_VKS_H100XM_X4: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: vks-h100-np-7f9c-0
  labels:
    run.tanzu.vmware.com/kubernetesDistributionVersion: v1.30.1
    nvidia.com/gpu.present: "true"
    nvidia.com/gpu.product: NVIDIA-H100XM-80C
    nvidia.com/gpu.count: "4"
    nvidia.com/gpu.memory: "81920"
    nvidia.com/gpu.family: hopper
    nvidia.com/vgpu.present: "true"
    nvidia.com/vgpu.host-driver-version: 550.54.16
    nvidia.com/vgpu.host-driver-branch: r550_40
    nvidia.com/gpu.sharing-strategy: none
    nvidia.com/gpu.replicas: "1"
status:
  allocatable:
    nvidia.com/gpu: "4"
  capacity:
    nvidia.com/gpu: "4"
  conditions:
  - status: "True"
    type: Ready
"#;

/// Second VKS worker of the same VM class.
pub(crate) const NODE_VKS_H100XM_X4_B: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: vks-h100-np-7f9c-1
  labels:
    nvidia.com/gpu.product: NVIDIA-H100XM-80C
    nvidia.com/gpu.count: "4"
    nvidia.com/vgpu.present: "true"
status:
  allocatable:
    nvidia.com/gpu: "4"
  conditions:
  - status: "True"
    type: Ready
"#;

/// VKS worker VM with 2 × `L40S-48C` vGPUs (no NVLink).
pub(crate) const NODE_VKS_L40S_X2: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: vks-l40s-np-2b1d-0
  labels:
    nvidia.com/gpu.product: NVIDIA-L40S-48C
    nvidia.com/gpu.count: "2"
    nvidia.com/gpu.memory: "49152"
    nvidia.com/gpu.family: ada-lovelace
    nvidia.com/vgpu.present: "true"
status:
  allocatable:
    nvidia.com/gpu: "2"
  conditions:
  - status: "True"
    type: Ready
"#;

/// A100 80GB node with MIG `mixed`.
pub(crate) const NODE_A100_MIG_MIXED: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: a100-mig-0
  labels:
    nvidia.com/gpu.product: NVIDIA-A100-SXM4-80GB
    nvidia.com/gpu.count: "1"
    nvidia.com/mig.capable: "true"
    nvidia.com/mig.strategy: mixed
    nvidia.com/mig.config: all-balanced
    nvidia.com/mig.config.state: success
    nvidia.com/mig-1g.10gb.count: "4"
    nvidia.com/mig-3g.40gb.count: "2"
status:
  allocatable:
    nvidia.com/gpu: "0"
    nvidia.com/mig-1g.10gb: "4"
    nvidia.com/mig-3g.40gb: "2"
  capacity:
    nvidia.com/gpu: "0"
    nvidia.com/mig-1g.10gb: "4"
    nvidia.com/mig-3g.40gb: "2"
    nvidia.com/mig-7g.80gb: "0"
  conditions:
  - status: "True"
    type: Ready
"#;

/// T4 node with time-slicing (4 replicas), currently NotReady.
pub(crate) const NODE_T4_TIME_SLICED: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: t4-ts-0
  labels:
    nvidia.com/gpu.product: Tesla-T4-SHARED
    nvidia.com/gpu.count: "1"
    nvidia.com/gpu.memory: "15360"
    nvidia.com/gpu.family: turing
    nvidia.com/gpu.replicas: "4"
    nvidia.com/gpu.sharing-strategy: time-slicing
status:
  allocatable:
    nvidia.com/gpu: "4"
  conditions:
  - status: "False"
    type: Ready
"#;

/// Every GPU label malformed.
pub(crate) const NODE_MALFORMED: &str = r#"
apiVersion: v1
kind: Node
metadata:
  name: bad-node
  labels:
    nvidia.com/gpu.product: NVIDIA-Mystery-9000
    nvidia.com/gpu.count: eight
    nvidia.com/gpu.memory: "-5"
    nvidia.com/gpu.family: quantum
    nvidia.com/gpu.compute.major: nine
    nvidia.com/vgpu.present: "yes"
    nvidia.com/mig.strategy: sometimes
    nvidia.com/gpu.sharing-strategy: round-robin
    nvidia.com/gpu.replicas: "0"
    nvidia.com/gpu.deploy.driver: maybe
spec:
  unschedulable: true
status:
  allocatable:
    nvidia.com/gpu: "1.5"
"#;

/// Pods (a `kubectl get pods -A -o yaml` List) against the nodes above.
pub(crate) const PODS: &str = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: llama-70b-0, namespace: nim}
  spec:
    nodeName: vks-h100-np-7f9c-0
    containers:
    - name: nim
      resources:
        limits: {nvidia.com/gpu: "2"}
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: embed-0, namespace: nim}
  spec:
    nodeName: vks-h100-np-7f9c-0
    initContainers:
    - name: warmup
      resources:
        requests: {nvidia.com/gpu: "1"}
        limits: {nvidia.com/gpu: "1"}
    containers:
    - name: nim
      resources:
        requests: {nvidia.com/gpu: "1"}
        limits: {nvidia.com/gpu: "1"}
  status: {phase: Pending}
- apiVersion: v1
  kind: Pod
  metadata: {name: finished-job, namespace: batch}
  spec:
    nodeName: vks-h100-np-7f9c-0
    containers:
    - name: job
      resources:
        limits: {nvidia.com/gpu: "1"}
  status: {phase: Succeeded}
- apiVersion: v1
  kind: Pod
  metadata: {name: failed-job, namespace: batch}
  spec:
    nodeName: vks-h100-np-7f9c-0
    containers:
    - name: job
      resources:
        limits: {nvidia.com/gpu: "1"}
  status: {phase: Failed}
- apiVersion: v1
  kind: Pod
  metadata: {name: trainer, namespace: ml}
  spec:
    nodeName: dgx-h100-01
    initContainers:
    - name: big-init
      resources:
        limits: {nvidia.com/gpu: "6"}
    containers:
    - name: a
      resources:
        limits: {nvidia.com/gpu: "2"}
    - name: b
      resources:
        limits: {nvidia.com/gpu: "1"}
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: mig-user, namespace: ml}
  spec:
    nodeName: a100-mig-0
    containers:
    - name: a
      resources:
        limits: {nvidia.com/mig-1g.10gb: "1"}
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: pending-unbound, namespace: nim}
  spec:
    containers:
    - name: nim
      resources:
        limits: {nvidia.com/gpu: "8"}
  status: {phase: Pending}
- apiVersion: v1
  kind: Pod
  metadata: {name: cpu-only, namespace: default}
  spec:
    nodeName: dgx-h100-01
    containers:
    - name: web
      resources:
        requests: {cpu: 100m}
  status: {phase: Running}
- apiVersion: v1
  kind: Pod
  metadata: {name: broken-quantity, namespace: default}
  spec:
    nodeName: vks-l40s-np-2b1d-0
    containers:
    - name: x
      resources:
        limits: {nvidia.com/gpu: "half"}
  status: {phase: Running}
"#;
