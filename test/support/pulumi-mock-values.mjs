// What the Pulumi mocks answer in place of AWS: each resource's state is its inputs plus the
// outputs AWS would compute (ARN, URL, endpoint), and each data source the stacks or SST's
// components read has a fixed answer. ARNs name the resource they stand for, so assertions can
// say which queue or key a grant points at. A data source not listed here fails the run: a new
// one in the stacks or in SST needs an answer chosen here, not a silent empty one.
// `aws` is the account and region the run pretends to deploy to: `{ account, region }`.

/** ARN formats of the resources the bridge's stacks create. */
const ARNS = {
  "aws:sqs/queue:Queue": (name, { account, region }) => `arn:aws:sqs:${region}:${account}:${name}`,
  "aws:iam/role:Role": (name, { account }) => `arn:aws:iam::${account}:role/${name}`,
  "aws:lambda/function:Function": (name, { account, region }) => `arn:aws:lambda:${region}:${account}:function:${name}`,
  "aws:cloudwatch/logGroup:LogGroup": (name, { account, region }) => `arn:aws:logs:${region}:${account}:log-group:${name}`,
  "aws:cloudwatch/metricAlarm:MetricAlarm": (name, { account, region }) => `arn:aws:cloudwatch:${region}:${account}:alarm:${name}`,
  "aws:apigatewayv2/api:Api": (name, { region }) => `arn:aws:apigateway:${region}::/apis/${name}`,
  "aws:dynamodb/table:Table": (name, { account, region }) => `arn:aws:dynamodb:${region}:${account}:table/${name}`,
};

/** The state a newly created resource of `type` has: its inputs and the outputs AWS would add. */
export function mockState(type, name, inputs, aws) {
  const { account, region } = aws;
  const physical = typeof inputs.name === "string" ? inputs.name : name;
  const state = { ...inputs, name: physical };
  const arn = ARNS[type]?.(physical, aws);
  if (arn) state.arn = arn;
  switch (type) {
    case "aws:sqs/queue:Queue":
      return { ...state, url: `https://sqs.${region}.amazonaws.com/${account}/${physical}` };
    case "aws:lambda/function:Function":
      return { ...state, invokeArn: `arn:aws:apigateway:${region}:lambda:path/2015-03-31/functions/${arn}/invocations` };
    case "aws:apigatewayv2/api:Api":
      return { ...state, apiEndpoint: `https://${name}.execute-api.${region}.amazonaws.com`, executionArn: `arn:aws:execute-api:${region}:${account}:${name}` };
    case "random:index/randomBytes:RandomBytes":
      return { ...state, base64: Buffer.alloc(inputs.length, 7).toString("base64"), hex: Buffer.alloc(inputs.length, 7).toString("hex") };
    default:
      return state;
  }
}

/** An IAM policy document as `aws.iam.getPolicyDocument` renders its statements. */
function policyJson(statements) {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: statements.map((s) => ({
      Effect: s.effect ?? "Allow",
      ...(s.actions && { Action: s.actions }),
      ...(s.resources && { Resource: s.resources }),
      ...(s.principals && { Principal: Object.fromEntries(s.principals.map((p) => [p.type, p.identifiers])) }),
      ...(s.conditions && {
        Condition: Object.fromEntries(s.conditions.map((c) => [c.test, { [c.variable]: c.values }])),
      }),
    })),
  });
}

/** The answer of the data source `token` to `inputs`. */
export function mockCall(token, inputs, aws) {
  const { account, region } = aws;
  switch (token) {
    case "aws:index/getPartition:getPartition":
      return { id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
    case "aws:index/getRegion:getRegion":
      return { id: region, name: region, region: region, endpoint: `ec2.${region}.amazonaws.com`, description: "US East (N. Virginia)" };
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return { id: account, accountId: account, arn: `arn:aws:iam::${account}:user/deployer`, userId: "AIDADEPLOYER" };
    case "aws:kms/getKey:getKey":
      // The ARN carries the id, alias or ARN it was looked up by, so a grant shows which key it is.
      return { id: inputs.keyId, keyId: inputs.keyId, arn: `arn:aws:kms:${region}:${account}:key/${inputs.keyId}` };
    case "aws:iam/getPolicyDocument:getPolicyDocument":
      return { id: "policy", json: policyJson(inputs.statements ?? []), statements: inputs.statements };
    default:
      throw new Error(`No mock answer for the data source ${token}: add one in test/support/pulumi-mock-values.mjs`);
  }
}
