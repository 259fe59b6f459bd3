# The slipway build node image (Amazon Linux 2023): Docker engine, git, gitlab-runner, Node.js
# and the slipway CLI, with nothing listening. Build it, then set the AMI id in the stack:
#
#   npm pack                                   # at the repository root: slipway-<version>.tgz
#   packer init runner-image/node.pkr.hcl
#   packer build -var slipway_tarball=slipway-0.1.0.tgz -var region=eu-west-1 runner-image/node.pkr.hcl
#   pulumi config set slipway:amiId ami-...    # in infra/
#
# The bootstrap is not baked in: it arrives as user data from the launch template, so a
# settings change needs a `pulumi up`, not a new image.

packer {
  required_plugins {
    amazon = {
      version = ">= 1.3.0"
      source  = "github.com/hashicorp/amazon"
    }
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "instance_type" {
  type    = string
  default = "m6i.large"
}

variable "slipway_tarball" {
  type        = string
  description = "Path to the slipway package made by `npm pack`"
}

variable "node_version" {
  type    = string
  default = "20.19.5"
}

variable "gitlab_runner_version" {
  type    = string
  default = "v18.5.0"
}

source "amazon-ebs" "node" {
  region        = var.region
  instance_type = var.instance_type
  ami_name      = "slipway-node-{{timestamp}}"
  ssh_username  = "ec2-user"
  imds_support  = "v2.0"

  source_ami_filter {
    filters = {
      name                = "al2023-ami-2023.*-x86_64"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }

  # The builder instance follows the same rules as the nodes: IMDSv2 only, one hop.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  launch_block_device_mappings {
    device_name           = "/dev/xvda"
    volume_size           = 30
    volume_type           = "gp3"
    encrypted             = true
    delete_on_termination = true
  }

  tags = {
    app  = "slipway"
    role = "build-node-image"
  }
}

build {
  sources = ["source.amazon-ebs.node"]

  provisioner "file" {
    source      = var.slipway_tarball
    destination = "/tmp/slipway.tgz"
  }

  provisioner "shell" {
    script          = "${path.root}/install.sh"
    execute_command = "sudo env {{ .Vars }} sh '{{ .Path }}'"
    environment_vars = [
      "NODE_VERSION=${var.node_version}",
      "GITLAB_RUNNER_VERSION=${var.gitlab_runner_version}",
      "SLIPWAY_TARBALL=/tmp/slipway.tgz",
    ]
  }
}
