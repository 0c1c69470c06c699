"""Examples for py.long-method: more than 50 statements in a body."""


# ruleid: py.long-method
def setup_defaults(cfg):
    cfg["option_00"] = 0
    cfg["option_01"] = 1
    cfg["option_02"] = 2
    cfg["option_03"] = 3
    cfg["option_04"] = 4
    cfg["option_05"] = 5
    cfg["option_06"] = 6
    cfg["option_07"] = 7
    cfg["option_08"] = 8
    cfg["option_09"] = 9
    cfg["option_10"] = 10
    cfg["option_11"] = 11
    cfg["option_12"] = 12
    cfg["option_13"] = 13
    cfg["option_14"] = 14
    cfg["option_15"] = 15
    cfg["option_16"] = 16
    cfg["option_17"] = 17
    cfg["option_18"] = 18
    cfg["option_19"] = 19
    cfg["option_20"] = 20
    cfg["option_21"] = 21
    cfg["option_22"] = 22
    cfg["option_23"] = 23
    cfg["option_24"] = 24
    cfg["option_25"] = 25
    cfg["option_26"] = 26
    cfg["option_27"] = 27
    cfg["option_28"] = 28
    cfg["option_29"] = 29
    cfg["option_30"] = 30
    cfg["option_31"] = 31
    cfg["option_32"] = 32
    cfg["option_33"] = 33
    cfg["option_34"] = 34
    cfg["option_35"] = 35
    cfg["option_36"] = 36
    cfg["option_37"] = 37
    cfg["option_38"] = 38
    cfg["option_39"] = 39
    cfg["option_40"] = 40
    cfg["option_41"] = 41
    cfg["option_42"] = 42
    cfg["option_43"] = 43
    cfg["option_44"] = 44
    cfg["option_45"] = 45
    cfg["option_46"] = 46
    cfg["option_47"] = 47
    cfg["option_48"] = 48
    cfg["option_49"] = 49
    return cfg


# ok: py.long-method
def setup_fifty(cfg):
    cfg["option_00"] = 0
    cfg["option_01"] = 1
    cfg["option_02"] = 2
    cfg["option_03"] = 3
    cfg["option_04"] = 4
    cfg["option_05"] = 5
    cfg["option_06"] = 6
    cfg["option_07"] = 7
    cfg["option_08"] = 8
    cfg["option_09"] = 9
    cfg["option_10"] = 10
    cfg["option_11"] = 11
    cfg["option_12"] = 12
    cfg["option_13"] = 13
    cfg["option_14"] = 14
    cfg["option_15"] = 15
    cfg["option_16"] = 16
    cfg["option_17"] = 17
    cfg["option_18"] = 18
    cfg["option_19"] = 19
    cfg["option_20"] = 20
    cfg["option_21"] = 21
    cfg["option_22"] = 22
    cfg["option_23"] = 23
    cfg["option_24"] = 24
    cfg["option_25"] = 25
    cfg["option_26"] = 26
    cfg["option_27"] = 27
    cfg["option_28"] = 28
    cfg["option_29"] = 29
    cfg["option_30"] = 30
    cfg["option_31"] = 31
    cfg["option_32"] = 32
    cfg["option_33"] = 33
    cfg["option_34"] = 34
    cfg["option_35"] = 35
    cfg["option_36"] = 36
    cfg["option_37"] = 37
    cfg["option_38"] = 38
    cfg["option_39"] = 39
    cfg["option_40"] = 40
    cfg["option_41"] = 41
    cfg["option_42"] = 42
    cfg["option_43"] = 43
    cfg["option_44"] = 44
    cfg["option_45"] = 45
    cfg["option_46"] = 46
    cfg["option_47"] = 47
    cfg["option_48"] = 48
    return cfg


# ok: py.long-method
def outer(cfg):
    # ruleid: py.long-method
    def inner():
        cfg["inner_00"] = 0
        cfg["inner_01"] = 1
        cfg["inner_02"] = 2
        cfg["inner_03"] = 3
        cfg["inner_04"] = 4
        cfg["inner_05"] = 5
        cfg["inner_06"] = 6
        cfg["inner_07"] = 7
        cfg["inner_08"] = 8
        cfg["inner_09"] = 9
        cfg["inner_10"] = 10
        cfg["inner_11"] = 11
        cfg["inner_12"] = 12
        cfg["inner_13"] = 13
        cfg["inner_14"] = 14
        cfg["inner_15"] = 15
        cfg["inner_16"] = 16
        cfg["inner_17"] = 17
        cfg["inner_18"] = 18
        cfg["inner_19"] = 19
        cfg["inner_20"] = 20
        cfg["inner_21"] = 21
        cfg["inner_22"] = 22
        cfg["inner_23"] = 23
        cfg["inner_24"] = 24
        cfg["inner_25"] = 25
        cfg["inner_26"] = 26
        cfg["inner_27"] = 27
        cfg["inner_28"] = 28
        cfg["inner_29"] = 29
        cfg["inner_30"] = 30
        cfg["inner_31"] = 31
        cfg["inner_32"] = 32
        cfg["inner_33"] = 33
        cfg["inner_34"] = 34
        cfg["inner_35"] = 35
        cfg["inner_36"] = 36
        cfg["inner_37"] = 37
        cfg["inner_38"] = 38
        cfg["inner_39"] = 39
        cfg["inner_40"] = 40
        cfg["inner_41"] = 41
        cfg["inner_42"] = 42
        cfg["inner_43"] = 43
        cfg["inner_44"] = 44
        cfg["inner_45"] = 45
        cfg["inner_46"] = 46
        cfg["inner_47"] = 47
        cfg["inner_48"] = 48
        cfg["inner_49"] = 49
        cfg["inner_50"] = 50
        cfg["inner_51"] = 51
        cfg["inner_52"] = 52
        cfg["inner_53"] = 53
        cfg["inner_54"] = 54

    inner()
    return cfg


# ok: py.long-method
def short(cfg):
    return cfg
