package dynamo

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// claimSortKey is the sort key of every claim item.
const claimSortKey = "claim"

// Attributes of a claim item besides the keys and version.
const (
	// attrAccount, which reservation items use too, and attrName
	// describe the claimed name for operators: the lower-case Snowflake
	// account, and the noun and name.
	attrName = "name"
	// A claim item also stores attrRequest, the request ID that holds the
	// claim, and attrExecution, the name of its provision execution.
	attrClaimedAt = "claimed_at"
	// attrStarted is true once the execution has started.
	attrStarted = "started"
	// attrIndexHost, attrCredentialField and attrCredentialRef are the
	// index host, the credential field and the credential reference of
	// the holder of an index credential claim.
	attrIndexHost       = "index_host"
	attrCredentialField = "credential_field"
	attrCredentialRef   = "credential_ref"
)

// claimPartition keys the item of one claimed name, from the claim's key.
// The stack in infra/ lets the webhook reach only partition keys that
// start with "claim#" for these items, so the prefix changes only with it.
func claimPartition(claimKey string) string {
	return "claim#" + hashKey(claimKey)
}

// Claim is the holder of a name in a Snowflake account, such as an
// ARTIFACT REPOSITORY or the host of a private endpoint, as ReadClaim found
// it or as WriteClaim stores it.
type Claim struct {
	// Found is true when the name has an item.
	Found bool
	// Version counts the item's writes. WriteClaim and DeleteClaim change
	// the item only while it is unchanged.
	Version int64
	// Request is the request ID that holds the name.
	Request string
	// Execution is the name of the request's provision execution for
	// which the claim was taken.
	Execution string
	// ClaimedAt is when the claim was taken, to the second.
	ClaimedAt time.Time
	// Started is true once Execution has started.
	Started bool
	// ExpiresAt sets the item's expires_at while the claim is not started:
	// DynamoDB deletes the item some time after it. It must lie past the
	// time after which a reader treats an unstarted claim as free, because
	// DynamoDB deletes expired items late, or early if it lies before. The
	// zero time writes no expires_at. MarkClaimStarted removes it, because
	// the resources of a started execution stay until a teardown.
	ExpiresAt time.Time
	// IndexHost, CredentialField and CredentialRef are set on the claim of
	// an index credential: the holder's index host, the request field of
	// its credential reference and that reference. A reference names a
	// secret and contains no secret value. They are "" on other claims.
	IndexHost       string
	CredentialField string
	CredentialRef   string
}

// ReadClaim reads the claim item of claimKey with a strongly consistent
// GetItem. A name without an item has Found false.
func (s *Store) ReadClaim(ctx context.Context, claimKey string) (Claim, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      s.tableName(),
		Key:            key(claimPartition(claimKey), claimSortKey),
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return Claim{}, s.classify(err, "read the claim item %s", claimPartition(claimKey))
	}
	if out.Item == nil {
		return Claim{}, nil
	}
	read := Claim{
		Found:     true,
		Request:   stringOf(out.Item, attrRequest),
		Execution: stringOf(out.Item, attrExecution),
		// The three are absent from the items of other claims.
		IndexHost:       stringOf(out.Item, attrIndexHost),
		CredentialField: stringOf(out.Item, attrCredentialField),
		CredentialRef:   stringOf(out.Item, attrCredentialRef),
	}
	if started, ok := out.Item[attrStarted].(*types.AttributeValueMemberBOOL); ok {
		read.Started = started.Value
	}
	if read.Version, err = numberOf(out.Item, attrVersion); err != nil {
		return Claim{}, s.invalidClaim(claimKey, err)
	}
	claimedAt, err := numberOf(out.Item, attrClaimedAt)
	if err != nil {
		return Claim{}, s.invalidClaim(claimKey, err)
	}
	read.ClaimedAt = time.Unix(claimedAt, 0)
	if _, ok := out.Item[attrExpiresAt]; ok {
		expiresAt, err := numberOf(out.Item, attrExpiresAt)
		if err != nil {
			return Claim{}, s.invalidClaim(claimKey, err)
		}
		read.ExpiresAt = time.Unix(expiresAt, 0)
	}
	return read, nil
}

func (s *Store) invalidClaim(claimKey string, err error) error {
	return fmt.Errorf("aws: dynamodb read the claim item %s in table %s: %w; "+
		"delete the item, and the next delivery that claims the name writes it afresh", claimPartition(claimKey), s.table, err)
}

// WriteClaim stores claim as the holder of claimKey, with account and name
// describing the claimed name, on the condition that the item is still as
// ReadClaim found it in read: absent, or present with the same version.
// It writes expires_at from claim.ExpiresAt (Unix seconds) unless the
// claim is started or ExpiresAt is zero. It returns the stored claim, and
// false when the condition failed, and the caller then reads again.
func (s *Store) WriteClaim(ctx context.Context, claimKey, account, name string, read, claim Claim) (Claim, bool, error) {
	claim.Found = true
	claim.Version = read.Version + 1
	claim.ClaimedAt = claim.ClaimedAt.Truncate(time.Second)
	claim.ExpiresAt = claim.ExpiresAt.Truncate(time.Second)
	if claim.Started {
		claim.ExpiresAt = time.Time{}
	}
	item := key(claimPartition(claimKey), claimSortKey)
	item[attrAccount] = stringAttr(account)
	item[attrName] = stringAttr(name)
	item[attrRequest] = stringAttr(claim.Request)
	item[attrExecution] = stringAttr(claim.Execution)
	item[attrClaimedAt] = numberAttr(claim.ClaimedAt.Unix())
	item[attrStarted] = &types.AttributeValueMemberBOOL{Value: claim.Started}
	item[attrVersion] = numberAttr(claim.Version)
	if !claim.ExpiresAt.IsZero() {
		item[attrExpiresAt] = numberAttr(claim.ExpiresAt.Unix())
	}
	for attr, value := range map[string]string{
		attrIndexHost:       claim.IndexHost,
		attrCredentialField: claim.CredentialField,
		attrCredentialRef:   claim.CredentialRef,
	} {
		if value != "" {
			item[attr] = stringAttr(value)
		}
	}
	in := &dynamodb.PutItemInput{TableName: s.tableName(), Item: item}
	setVersionCondition(in, read.Found, read.Version)
	_, err := s.client.PutItem(ctx, in)
	if isConditionFailed(err) {
		return Claim{}, false, nil
	}
	if err != nil {
		return Claim{}, false, s.classify(err, "write the claim item %s", claimPartition(claimKey))
	}
	return claim, true, nil
}

// DeleteClaim deletes the claim item of claimKey on the condition that it still
// has version. It returns false when the item has changed or is gone, and
// is safe to call again.
func (s *Store) DeleteClaim(ctx context.Context, claimKey string, version int64) (bool, error) {
	_, err := s.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 s.tableName(),
		Key:                       key(claimPartition(claimKey), claimSortKey),
		ConditionExpression:       aws.String("#version = :version"),
		ExpressionAttributeNames:  map[string]string{"#version": attrVersion},
		ExpressionAttributeValues: map[string]types.AttributeValue{":version": numberAttr(version)},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "delete the claim item %s", claimPartition(claimKey))
	}
	return true, nil
}

// MarkClaimStarted records that execution has started, on the condition
// that the request with ID requestID holds the claim of claimKey for that
// execution. It removes expires_at, so that the claim holds its name until
// a teardown frees it. It also raises the version, so that a WriteClaim that read
// the claim before fails and reads again. It returns false when the claim
// is held otherwise, and is safe to call again.
func (s *Store) MarkClaimStarted(ctx context.Context, claimKey, requestID, execution string) (bool, error) {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.tableName(),
		Key:                 key(claimPartition(claimKey), claimSortKey),
		UpdateExpression:    aws.String("SET #started = :true, #version = if_not_exists(#version, :zero) + :one REMOVE #expires"),
		ConditionExpression: aws.String("#owner = :owner AND #execution = :execution"),
		ExpressionAttributeNames: map[string]string{
			"#started":   attrStarted,
			"#version":   attrVersion,
			"#owner":     attrRequest,
			"#execution": attrExecution,
			"#expires":   attrExpiresAt,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":true":      &types.AttributeValueMemberBOOL{Value: true},
			":zero":      numberAttr(0),
			":one":       numberAttr(1),
			":owner":     stringAttr(requestID),
			":execution": stringAttr(execution),
		},
	})
	if isConditionFailed(err) {
		return false, nil
	}
	if err != nil {
		return false, s.classify(err, "mark the claim item %s started", claimPartition(claimKey))
	}
	return true, nil
}
