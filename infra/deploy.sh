#!/usr/bin/env bash
# Deploys the SAM template (artifacts from `make build-lambdas`), then makes and publishes the
# token signing keys if the deployment has none yet, and prints what the operator needs.
# Needs: the AWS SAM CLI and the AWS CLI, with credentials for the target account and region.
set -euo pipefail
cd "$(dirname "$0")/.."
stack="${STACK_NAME:-oneroster}"
stage="${STAGE:-prod}"
for tool in sam aws; do
  command -v "$tool" > /dev/null || { echo "deploy needs the '$tool' command (see README, Deploying to AWS)" >&2; exit 1; }
done
sam deploy --template-file infra/template.yaml --stack-name "$stack" --resolve-s3 \
  --capabilities CAPABILITY_IAM --no-fail-on-empty-changeset \
  --parameter-overrides "StageName=$stage" ${PARAMETERS:-}
output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
export TABLE_NAME="$(output TableName)" UPLOAD_BUCKET="$(output UploadBucketName)"
export SIGNING_KEYS_SECRET="$(output SigningKeysSecretName)"
./target/release/oneroster-admin keys init > /dev/null
cat <<DONE
Deployed stack $stack.
  API:            $(output ApiUrl)
  Upload bucket:  $UPLOAD_BUCKET
  For oneroster-admin against this deployment:
    export TABLE_NAME=$TABLE_NAME UPLOAD_BUCKET=$UPLOAD_BUCKET SIGNING_KEYS_SECRET=$SIGNING_KEYS_SECRET
DONE
