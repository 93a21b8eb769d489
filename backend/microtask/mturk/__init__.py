"""The MTurk endpoint: boto3's ``mturk`` client, the AWS CLI and the tools built on them
(Mephisto, psiTurk, Dallinger, oTree, amti, ...) work against microtask by changing the
endpoint URL.

It is a front end over the client library (`microtask.client.Requester`): one requester's
gateway, signing with that requester's key. The parts:

- `endpoint`: one HTTP request to one answer: SigV4 (`sigv4`) against the requester's
  access keys (`keys`), the ``X-Amz-Target``, AWS JSON 1.1 (`wire`), errors as botocore
  parses them (`errors`);
- `gateway`: the operations' shared ground (the requester, the state, the stablecoin);
  `operations`: each MTurk operation, mapped onto the escrow;
- `ids`: MTurk's ids for tasks, slots and addresses, both ways; `views`: a HIT and its
  assignments in MTurk's shapes; `requirements`: qualification requirements honoured;
  `paging`: ``NextToken``;
- `state`: what MTurk has and microtask does not (HIT types, annotations, qualification
  types, block lists, notification settings);
- `policies`: each HIT's policy with the verifier (blocks, qualifications, expiry);
- `background` (the rounds: auto-approval, notifications, refunds) and `notifications`
  (the webhook and its retries);
- `app`: the HTTP routes (``/mturk``); `service`: all of it, ready to run.

README.md, "Moving from Mechanical Turk", says what maps to what.
"""
